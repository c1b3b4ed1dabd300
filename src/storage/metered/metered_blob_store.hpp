// MeteredBlobStore: a BlobStore decorator that forwards every call to another
// backend and records its latency, and its errors by code, under the
// store's backend name (fs, s3, memory) for GET /metrics (store="blob"; see
// store_metrics.hpp). The readers and writers it hands out are metered too,
// so the byte path's reads, appends and commits show per backend. Shaped
// like the fault-injecting decorator (storage/blob/faulty/).
//
// Thread-safety: as safe as the wrapped store. The wrapped store and the
// metrics must outlive this one and every reader and writer it handed out.
#pragma once

#include <string>

#include "storage/blob/blob_store.hpp"
#include "storage/metered/store_metrics.hpp"

namespace berth::storage::metered {

// What a metered reader or writer needs to record its calls.
struct Meter {
  StoreMetrics* metrics = nullptr;
  std::string backend;

  template <class F>
  auto measure(std::string_view operation, F&& call) const {
    return metrics->measure("blob", backend, operation, std::forward<F>(call));
  }
};

class MeteredBlobStore final : public blob::BlobStore {
 public:
  MeteredBlobStore(blob::BlobStore& inner, std::string backend, StoreMetrics& metrics);
  // The same, owning the wrapped store.
  MeteredBlobStore(std::unique_ptr<blob::BlobStore> inner, std::string backend,
                   StoreMetrics& metrics);

  Result<blob::BlobInfo> stat(const oci::Digest& digest) override;
  Result<std::unique_ptr<blob::BlobReader>> open(const oci::Digest& digest,
                                                 std::uint64_t offset = 0) override;
  Result<std::unique_ptr<blob::BlobWriter>> begin_upload(std::string_view upload_id) override;
  Result<std::unique_ptr<blob::BlobWriter>> resume_upload(std::string_view upload_id) override;
  Result<blob::UploadInfo> stat_upload(std::string_view upload_id) override;
  Status abort_upload(std::string_view upload_id) override;
  Status remove(const oci::Digest& digest) override;
  Status walk(const std::function<Status(const blob::BlobInfo&)>& visit) override;
  Status walk_uploads(const std::function<Status(const blob::UploadInfo&)>& visit) override;
  Result<std::optional<std::string>> redirect_url(const oci::Digest& digest,
                                                  std::chrono::seconds ttl) override;

 private:
  template <class F>
  auto measure(std::string_view operation, F&& call) {
    return meter_.measure(operation, std::forward<F>(call));
  }

  std::unique_ptr<blob::BlobStore> owned_;  // null when wrapping a reference
  blob::BlobStore& inner_;
  Meter meter_;
};

}  // namespace berth::storage::metered
