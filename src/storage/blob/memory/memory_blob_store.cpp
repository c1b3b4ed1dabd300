#include "storage/blob/memory/memory_blob_store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/hasher.hpp"
#include "storage/blob/hashing.hpp"
#include "storage/blob/upload_id.hpp"
#include "util/time.hpp"

namespace berth::storage::blob::memory {

namespace {

struct Upload {
  std::string data;
  std::uint64_t saved_size = 0;
  crypto::Hasher saved_sha256{crypto::HashAlgorithm::kSha256};
  std::chrono::system_clock::time_point started_at;
};

// Shared by the store and every reader and writer it hands out.
struct State {
  std::mutex mu;
  // Blob bytes are immutable once stored, so readers hold them by pointer
  // and survive a concurrent remove().
  std::map<oci::Digest, std::shared_ptr<const std::string>> blobs;
  std::map<oci::Digest, std::int64_t> committed_at_ms;
  std::map<std::string, std::shared_ptr<Upload>> uploads;
};

std::unexpected<Error> upload_not_found(std::string_view id) {
  return fail(ErrorCode::kUploadNotFound, "upload not found", std::string(id));
}

class MemoryBlobReader final : public BlobReader {
 public:
  MemoryBlobReader(std::shared_ptr<const std::string> bytes, std::uint64_t offset)
      : bytes_(std::move(bytes)), offset_(offset) {}

  std::uint64_t size() const override { return bytes_->size(); }

  Result<std::size_t> read(std::span<char> out) override {
    std::size_t n = std::min<std::size_t>(out.size(), bytes_->size() - offset_);
    std::copy_n(bytes_->data() + offset_, n, out.data());
    offset_ += n;
    return n;
  }

 private:
  std::shared_ptr<const std::string> bytes_;
  std::size_t offset_;
};

class MemoryBlobWriter final : public BlobWriter {
 public:
  MemoryBlobWriter(std::shared_ptr<State> state, UploadId id, std::shared_ptr<Upload> upload,
                   crypto::Hasher sha256)
      : state_(std::move(state)),
        id_(std::move(id)),
        upload_(std::move(upload)),
        size_(upload_->data.size()),
        sha256_(std::move(sha256)) {}

  std::string_view upload_id() const override { return id_.str(); }
  std::uint64_t size() const override { return size_; }

  Status append(std::span<const char> bytes) override {
    {
      std::lock_guard lock(state_->mu);
      BERTH_TRY_STATUS(check_live_locked());
      upload_->data.append(bytes.data(), bytes.size());
    }
    sha256_.update(bytes.data(), bytes.size());
    size_ += bytes.size();
    return ok();
  }

  Status save_state() override {
    std::lock_guard lock(state_->mu);
    BERTH_TRY_STATUS(check_live_locked());
    upload_->saved_size = size_;
    upload_->saved_sha256 = sha256_;
    return ok();
  }

  Result<oci::Digest> current_digest(oci::DigestAlgorithm alg) override {
    if (alg == oci::DigestAlgorithm::kSha256) {
      BERTH_TRY_STATUS(check_live());
      return digest_of(sha256_);
    }
    std::lock_guard lock(state_->mu);
    BERTH_TRY_STATUS(check_live_locked());
    crypto::Hasher hasher(to_hash_algorithm(alg));
    hasher.update(upload_->data.data(), size_);
    return digest_of(hasher);
  }

  Result<BlobInfo> commit(const oci::Digest& expected) override {
    BERTH_TRY_STATUS(check_live());
    if (auto valid = check_digest(expected); !valid) {
      discard();
      return std::unexpected(std::move(valid).error());
    }
    oci::Digest actual = BERTH_TRY(current_digest(expected.algorithm()));
    if (actual != expected) {
      discard();
      return fail(ErrorCode::kDigestMismatch, "upload content does not match the digest",
                  "expected " + expected.str() + ", got " + actual.str());
    }
    std::lock_guard lock(state_->mu);
    BERTH_TRY_STATUS(check_live_locked());
    // try_emplace keeps an existing copy: a second commit is a no-op.
    // A second commit refreshes the time: the blob was written again.
    state_->committed_at_ms[expected] = now_ms();
    state_->blobs.try_emplace(expected,
                              std::make_shared<const std::string>(std::move(upload_->data)));
    state_->uploads.erase(id_.str());
    upload_.reset();
    return BlobInfo{expected, size_};
  }

 private:
  Status check_live() {
    std::lock_guard lock(state_->mu);
    return check_live_locked();
  }

  // Live means not spent, not aborted behind our back, and not truncated
  // by another writer that resumed the same upload.
  Status check_live_locked() {
    auto it = state_->uploads.find(id_.str());
    if (!upload_ || it == state_->uploads.end() || it->second != upload_ ||
        upload_->data.size() != size_) {
      return upload_not_found(id_.str());
    }
    return ok();
  }

  void discard() {
    std::lock_guard lock(state_->mu);
    auto it = state_->uploads.find(id_.str());
    if (it != state_->uploads.end() && it->second == upload_) state_->uploads.erase(it);
    upload_.reset();
  }

  std::shared_ptr<State> state_;
  UploadId id_;
  std::shared_ptr<Upload> upload_;  // null once spent
  std::uint64_t size_;
  crypto::Hasher sha256_;
};

class MemoryBlobStore final : public BlobStore {
 public:
  Result<BlobInfo> stat(const oci::Digest& digest) override {
    auto bytes = BERTH_TRY(find_blob(digest));
    return BlobInfo{digest, bytes->size()};
  }

  Result<std::unique_ptr<BlobReader>> open(const oci::Digest& digest,
                                           std::uint64_t offset) override {
    auto bytes = BERTH_TRY(find_blob(digest));
    if (offset > bytes->size()) {
      return fail(ErrorCode::kRangeInvalid, "offset is past the end of the blob",
                  std::to_string(offset) + " > " + std::to_string(bytes->size()));
    }
    return std::unique_ptr<BlobReader>(new MemoryBlobReader(std::move(bytes), offset));
  }

  Result<std::unique_ptr<BlobWriter>> begin_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    auto upload = std::make_shared<Upload>();
    upload->started_at = std::chrono::system_clock::now();
    {
      std::lock_guard lock(state_->mu);
      if (!state_->uploads.try_emplace(id.str(), upload).second) {
        return fail(ErrorCode::kAlreadyExists, "upload id is already in use", id.str());
      }
    }
    return std::unique_ptr<BlobWriter>(new MemoryBlobWriter(
        state_, std::move(id), std::move(upload), crypto::Hasher(crypto::HashAlgorithm::kSha256)));
  }

  Result<std::unique_ptr<BlobWriter>> resume_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    std::lock_guard lock(state_->mu);
    auto it = state_->uploads.find(id.str());
    if (it == state_->uploads.end()) return upload_not_found(id.str());
    std::shared_ptr<Upload> upload = it->second;
    // Appends after the last save are lost, as after a crash on disk.
    upload->data.resize(upload->saved_size);
    return std::unique_ptr<BlobWriter>(
        new MemoryBlobWriter(state_, std::move(id), upload, upload->saved_sha256));
  }

  Result<UploadInfo> stat_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    std::lock_guard lock(state_->mu);
    auto it = state_->uploads.find(id.str());
    if (it == state_->uploads.end()) return upload_not_found(id.str());
    return UploadInfo{id.str(), it->second->saved_size, it->second->started_at};
  }

  Status abort_upload(std::string_view upload_id) override {
    UploadId id = BERTH_TRY(UploadId::parse(upload_id));
    std::lock_guard lock(state_->mu);
    if (state_->uploads.erase(id.str()) == 0) return upload_not_found(id.str());
    return ok();
  }

  Status remove(const oci::Digest& digest) override {
    BERTH_TRY_STATUS(check_digest(digest));
    std::lock_guard lock(state_->mu);
    state_->committed_at_ms.erase(digest);
    if (state_->blobs.erase(digest) == 0) {
      return fail(ErrorCode::kBlobNotFound, "blob not found", digest.str());
    }
    return ok();
  }

  Status walk(const std::function<Status(const BlobInfo&)>& visit) override {
    // Visit a snapshot without the lock, so a visitor may call back into
    // the store (GC removes blobs while walking).
    std::vector<BlobInfo> snapshot;
    {
      std::lock_guard lock(state_->mu);
      for (const auto& [digest, bytes] : state_->blobs) {
        snapshot.push_back({digest, bytes->size(), state_->committed_at_ms[digest]});
      }
    }
    for (const BlobInfo& info : snapshot) BERTH_TRY_STATUS(visit(info));
    return ok();
  }

  Status walk_uploads(const std::function<Status(const UploadInfo&)>& visit) override {
    std::vector<UploadInfo> snapshot;
    {
      std::lock_guard lock(state_->mu);
      for (const auto& [id, upload] : state_->uploads) {
        snapshot.push_back({id, upload->saved_size, upload->started_at});
      }
    }
    for (const UploadInfo& info : snapshot) BERTH_TRY_STATUS(visit(info));
    return ok();
  }

 private:
  Result<std::shared_ptr<const std::string>> find_blob(const oci::Digest& digest) {
    BERTH_TRY_STATUS(check_digest(digest));
    std::lock_guard lock(state_->mu);
    auto it = state_->blobs.find(digest);
    if (it == state_->blobs.end()) {
      return fail(ErrorCode::kBlobNotFound, "blob not found", digest.str());
    }
    return it->second;
  }

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace

std::unique_ptr<BlobStore> make_memory_blob_store() { return std::make_unique<MemoryBlobStore>(); }

}  // namespace berth::storage::blob::memory
