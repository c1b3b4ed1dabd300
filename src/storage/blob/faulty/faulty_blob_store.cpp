#include "storage/blob/faulty/faulty_blob_store.hpp"

#include <utility>

namespace berth::storage::blob::faulty {

using storage::faulty::inject;

namespace {

class FaultyBlobReader final : public BlobReader {
 public:
  FaultyBlobReader(std::unique_ptr<BlobReader> inner, std::shared_ptr<FaultPlan> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}

  std::uint64_t size() const override { return inner_->size(); }
  Result<std::size_t> read(std::span<char> out) override {
    return inject(*plan_, "blob.read", false, [&] { return inner_->read(out); });
  }
  int native_handle() const override { return inner_->native_handle(); }

 private:
  std::unique_ptr<BlobReader> inner_;
  std::shared_ptr<FaultPlan> plan_;
};

class FaultyBlobWriter final : public BlobWriter {
 public:
  FaultyBlobWriter(std::unique_ptr<BlobWriter> inner, std::shared_ptr<FaultPlan> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}

  std::string_view upload_id() const override { return inner_->upload_id(); }
  std::uint64_t size() const override { return inner_->size(); }
  Status append(std::span<const char> bytes) override {
    return inject(*plan_, "blob.append", true, [&] { return inner_->append(bytes); });
  }
  Status save_state() override {
    return inject(*plan_, "blob.save_state", true, [&] { return inner_->save_state(); });
  }
  Result<oci::Digest> current_digest(oci::DigestAlgorithm alg) override {
    return inject(*plan_, "blob.current_digest", false,
                  [&] { return inner_->current_digest(alg); });
  }
  Result<BlobInfo> commit(const oci::Digest& expected) override {
    return inject(*plan_, "blob.commit", true, [&] { return inner_->commit(expected); });
  }

 private:
  std::unique_ptr<BlobWriter> inner_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace

FaultyBlobStore::FaultyBlobStore(BlobStore& inner, std::shared_ptr<FaultPlan> plan)
    : inner_(inner), plan_(std::move(plan)) {}

Result<BlobInfo> FaultyBlobStore::stat(const oci::Digest& digest) {
  return inject(*plan_, "blob.stat", false, [&] { return inner_.stat(digest); });
}

Result<std::unique_ptr<BlobReader>> FaultyBlobStore::open(const oci::Digest& digest,
                                                          std::uint64_t offset) {
  return inject(*plan_, "blob.open", false, [&]() -> Result<std::unique_ptr<BlobReader>> {
    auto reader = BERTH_TRY(inner_.open(digest, offset));
    return std::unique_ptr<BlobReader>(new FaultyBlobReader(std::move(reader), plan_));
  });
}

Result<std::unique_ptr<BlobWriter>> FaultyBlobStore::begin_upload(std::string_view upload_id) {
  return inject(*plan_, "blob.begin_upload", true, [&]() -> Result<std::unique_ptr<BlobWriter>> {
    auto writer = BERTH_TRY(inner_.begin_upload(upload_id));
    return std::unique_ptr<BlobWriter>(new FaultyBlobWriter(std::move(writer), plan_));
  });
}

Result<std::unique_ptr<BlobWriter>> FaultyBlobStore::resume_upload(std::string_view upload_id) {
  return inject(*plan_, "blob.resume_upload", true, [&]() -> Result<std::unique_ptr<BlobWriter>> {
    auto writer = BERTH_TRY(inner_.resume_upload(upload_id));
    return std::unique_ptr<BlobWriter>(new FaultyBlobWriter(std::move(writer), plan_));
  });
}

Result<UploadInfo> FaultyBlobStore::stat_upload(std::string_view upload_id) {
  return inject(*plan_, "blob.stat_upload", false, [&] { return inner_.stat_upload(upload_id); });
}

Status FaultyBlobStore::abort_upload(std::string_view upload_id) {
  return inject(*plan_, "blob.abort_upload", true, [&] { return inner_.abort_upload(upload_id); });
}

Status FaultyBlobStore::remove(const oci::Digest& digest) {
  return inject(*plan_, "blob.remove", true, [&] { return inner_.remove(digest); });
}

Status FaultyBlobStore::walk(const std::function<Status(const BlobInfo&)>& visit) {
  return inject(*plan_, "blob.walk", false, [&] { return inner_.walk(visit); });
}

Status FaultyBlobStore::walk_uploads(const std::function<Status(const UploadInfo&)>& visit) {
  return inject(*plan_, "blob.walk_uploads", false, [&] { return inner_.walk_uploads(visit); });
}

Result<std::optional<std::string>> FaultyBlobStore::redirect_url(const oci::Digest& digest,
                                                                 std::chrono::seconds ttl) {
  return inject(*plan_, "blob.redirect_url", false,
                [&] { return inner_.redirect_url(digest, ttl); });
}

}  // namespace berth::storage::blob::faulty
