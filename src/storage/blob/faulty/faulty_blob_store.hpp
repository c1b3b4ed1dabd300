// FaultyBlobStore: a BlobStore decorator that forwards every call to another
// backend, announcing each to a shared FaultPlan which may fail it (see
// fault_plan.hpp). The readers and writers it hands out are wrapped too, so
// append(), save_state() and commit() — and even read() — can fail.
//
// Mutating calls: begin_upload, resume_upload (it may truncate), abort_upload,
// remove, and a writer's append, save_state and commit. Everything else
// (stat, open, stat_upload, walk, walk_uploads, redirect_url, a reader's
// read, a writer's current_digest) counts only in FaultScope::kAny.
// size(), upload_id() and native_handle() are plain accessors, never counted.
//
// Thread-safety: as safe as the wrapped store (the plan is thread-safe).
// The wrapped store must outlive this one; readers and writers hold the plan
// by shared_ptr and may outlive both.
#pragma once

#include <memory>

#include "storage/blob/blob_store.hpp"
#include "storage/blob/faulty/fault_plan.hpp"

namespace berth::storage::blob::faulty {

using storage::faulty::FaultPlan;

class FaultyBlobStore final : public BlobStore {
 public:
  // REQUIRES: plan != nullptr.
  FaultyBlobStore(BlobStore& inner, std::shared_ptr<FaultPlan> plan);

  FaultPlan& plan() { return *plan_; }
  BlobStore& inner() { return inner_; }

  Result<BlobInfo> stat(const oci::Digest& digest) override;
  Result<std::unique_ptr<BlobReader>> open(const oci::Digest& digest,
                                           std::uint64_t offset = 0) override;
  Result<std::unique_ptr<BlobWriter>> begin_upload(std::string_view upload_id) override;
  Result<std::unique_ptr<BlobWriter>> resume_upload(std::string_view upload_id) override;
  Result<UploadInfo> stat_upload(std::string_view upload_id) override;
  Status abort_upload(std::string_view upload_id) override;
  Status remove(const oci::Digest& digest) override;
  Status walk(const std::function<Status(const BlobInfo&)>& visit) override;
  Status walk_uploads(const std::function<Status(const UploadInfo&)>& visit) override;
  Result<std::optional<std::string>> redirect_url(const oci::Digest& digest,
                                                  std::chrono::seconds ttl) override;

 private:
  BlobStore& inner_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace berth::storage::blob::faulty
