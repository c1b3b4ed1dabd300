#include "storage/metered/metered_blob_store.hpp"

#include <utility>

namespace berth::storage::metered {

using namespace storage::blob;  // the decorated interface's own types


namespace {

class MeteredBlobReader final : public BlobReader {
 private:
  template <class F>
  auto measure(std::string_view operation, F&& call) {
    return meter_.measure(operation, std::forward<F>(call));
  }

 public:
  MeteredBlobReader(std::unique_ptr<BlobReader> inner, Meter meter)
      : inner_(std::move(inner)), meter_(std::move(meter)) {}

  std::uint64_t size() const override { return inner_->size(); }
  Result<std::size_t> read(std::span<char> out) override {
    return measure("read", [&] { return inner_->read(out); });
  }
  int native_handle() const override { return inner_->native_handle(); }

 private:

  std::unique_ptr<BlobReader> inner_;
  Meter meter_;
};

class MeteredBlobWriter final : public BlobWriter {
 private:
  template <class F>
  auto measure(std::string_view operation, F&& call) {
    return meter_.measure(operation, std::forward<F>(call));
  }

 public:
  MeteredBlobWriter(std::unique_ptr<BlobWriter> inner, Meter meter)
      : inner_(std::move(inner)), meter_(std::move(meter)) {}

  std::string_view upload_id() const override { return inner_->upload_id(); }
  std::uint64_t size() const override { return inner_->size(); }
  Status append(std::span<const char> bytes) override {
    return measure("append", [&] { return inner_->append(bytes); });
  }
  Status save_state() override {
    return measure("save_state", [&] { return inner_->save_state(); });
  }
  Result<oci::Digest> current_digest(oci::DigestAlgorithm alg) override {
    return measure("current_digest", [&] { return inner_->current_digest(alg); });
  }
  Result<BlobInfo> commit(const oci::Digest& expected) override {
    return measure("commit", [&] { return inner_->commit(expected); });
  }

 private:

  std::unique_ptr<BlobWriter> inner_;
  Meter meter_;
};

}  // namespace

MeteredBlobStore::MeteredBlobStore(BlobStore& inner, std::string backend, StoreMetrics& metrics)
    : inner_(inner), meter_{&metrics, std::move(backend)} {}

MeteredBlobStore::MeteredBlobStore(std::unique_ptr<BlobStore> inner, std::string backend,
                                   StoreMetrics& metrics)
    : owned_(std::move(inner)), inner_(*owned_), meter_{&metrics, std::move(backend)} {}

Result<BlobInfo> MeteredBlobStore::stat(const oci::Digest& digest) {
  return measure("stat", [&] { return inner_.stat(digest); });
}

Result<std::unique_ptr<BlobReader>> MeteredBlobStore::open(const oci::Digest& digest,
                                                          std::uint64_t offset) {
  return measure("open", [&]() -> Result<std::unique_ptr<BlobReader>> {
    auto reader = BERTH_TRY(inner_.open(digest, offset));
    return std::unique_ptr<BlobReader>(new MeteredBlobReader(std::move(reader), meter_));
  });
}

Result<std::unique_ptr<BlobWriter>> MeteredBlobStore::begin_upload(std::string_view upload_id) {
  return measure("begin_upload", [&]() -> Result<std::unique_ptr<BlobWriter>> {
    auto writer = BERTH_TRY(inner_.begin_upload(upload_id));
    return std::unique_ptr<BlobWriter>(new MeteredBlobWriter(std::move(writer), meter_));
  });
}

Result<std::unique_ptr<BlobWriter>> MeteredBlobStore::resume_upload(std::string_view upload_id) {
  return measure("resume_upload", [&]() -> Result<std::unique_ptr<BlobWriter>> {
    auto writer = BERTH_TRY(inner_.resume_upload(upload_id));
    return std::unique_ptr<BlobWriter>(new MeteredBlobWriter(std::move(writer), meter_));
  });
}

Result<UploadInfo> MeteredBlobStore::stat_upload(std::string_view upload_id) {
  return measure("stat_upload", [&] { return inner_.stat_upload(upload_id); });
}

Status MeteredBlobStore::abort_upload(std::string_view upload_id) {
  return measure("abort_upload", [&] { return inner_.abort_upload(upload_id); });
}

Status MeteredBlobStore::remove(const oci::Digest& digest) {
  return measure("remove", [&] { return inner_.remove(digest); });
}

Status MeteredBlobStore::walk(const std::function<Status(const BlobInfo&)>& visit) {
  return measure("walk", [&] { return inner_.walk(visit); });
}

Status MeteredBlobStore::walk_uploads(const std::function<Status(const UploadInfo&)>& visit) {
  return measure("walk_uploads", [&] { return inner_.walk_uploads(visit); });
}

Result<std::optional<std::string>> MeteredBlobStore::redirect_url(const oci::Digest& digest,
                                                                 std::chrono::seconds ttl) {
  return measure("redirect_url", [&] { return inner_.redirect_url(digest, ttl); });
}

}  // namespace berth::storage::metered
