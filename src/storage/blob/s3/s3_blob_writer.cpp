#include "storage/blob/s3/s3_blob_writer.hpp"

#include <chrono>

#include "storage/blob/hashing.hpp"

namespace berth::storage::blob::s3 {

namespace {

// How much of a completed upload one GET reads when re-hashing it.
constexpr std::uint64_t kHashWindow = 4ull << 20;
// A state listing this many segments is consolidated into one at the next
// save, so a resume reads a bounded number of objects whatever the chunks.
constexpr std::size_t kMaxSegments = 8;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<S3UploadState> load_upload_state(S3Context& context, const UploadId& id) {
  std::string text =
      BERTH_TRY(context.objects.get(context.keys.upload_state(id), ErrorCode::kUploadNotFound));
  return decode_s3_upload_state(text);
}

Status remove_upload(S3Context& context, const UploadId& id) {
  const std::string state_key = context.keys.upload_state(id);
  auto state = context.objects.head(state_key, ErrorCode::kUploadNotFound);
  if (!state && state.error().code != ErrorCode::kUploadNotFound) {
    return std::unexpected(std::move(state).error());
  }
  // Leftovers of an earlier crash go too, whether or not a state remains.
  BERTH_TRY_STATUS(context.objects.abort_multiparts_under(context.keys.upload_prefix(id)));
  BERTH_TRY_STATUS(context.objects.list(context.keys.upload_prefix(id),
                                        [&](const ListedObject& object) -> Status {
                                          if (object.key == state_key) return ok();
                                          return context.objects.remove(object.key);
                                        }));
  if (!state) return fail(ErrorCode::kUploadNotFound, "upload does not exist", id.str());
  // Last: until it goes, the upload is visible and a sweep can finish this.
  return context.objects.remove(state_key);
}

S3BlobWriter::S3BlobWriter(std::shared_ptr<S3Context> context, UploadId id, S3UploadState state,
                           std::string tail)
    : context_(std::move(context)),
      id_(std::move(id)),
      started_at_ns_(state.started_at_ns),
      size_(state.size),
      sha256_(std::move(state.sha256)),
      multipart_id_(std::move(state.multipart_id)),
      parts_(std::move(state.parts)),
      tail_(std::move(tail)),
      segments_(std::move(state.segments)),
      staged_(tail_.size()) {}

Result<std::unique_ptr<BlobWriter>> S3BlobWriter::begin(std::shared_ptr<S3Context> context,
                                                        UploadId id) {
  const std::string state_key = context->keys.upload_state(id);
  auto existing = context->objects.head(state_key, ErrorCode::kUploadNotFound);
  if (existing) return fail(ErrorCode::kAlreadyExists, "upload id is already in use", id.str());
  if (existing.error().code != ErrorCode::kUploadNotFound) {
    return std::unexpected(std::move(existing).error());
  }
  S3UploadState state;
  state.started_at_ns = now_ns();
  BERTH_TRY_STATUS(context->objects.put(state_key, encode_s3_upload_state(state)));
  return std::unique_ptr<BlobWriter>(
      new S3BlobWriter(std::move(context), std::move(id), std::move(state), std::string()));
}

Result<std::unique_ptr<BlobWriter>> S3BlobWriter::resume(std::shared_ptr<S3Context> context,
                                                         UploadId id) {
  S3UploadState state = BERTH_TRY(load_upload_state(*context, id));
  std::string tail;
  for (const S3Segment& segment : state.segments) {
    const std::string key =
        context->keys.upload_tail(id, segment.offset, segment.offset + segment.length);
    auto bytes = context->objects.get(key, ErrorCode::kCorruption);
    if (!bytes) return std::unexpected(std::move(bytes).error());
    if (bytes->size() != segment.length) {
      return fail(ErrorCode::kCorruption, "a staged upload segment has the wrong size", key);
    }
    tail += *bytes;
  }
  return std::unique_ptr<BlobWriter>(
      new S3BlobWriter(std::move(context), std::move(id), std::move(state), std::move(tail)));
}

Status S3BlobWriter::check_live() const {
  if (!live_) {
    return fail(ErrorCode::kUploadNotFound, "upload was already committed or discarded",
                id_.str());
  }
  return ok();
}

void S3BlobWriter::discard() {
  live_ = false;
  (void)remove_upload(*context_, id_);
}

Status S3BlobWriter::append(std::span<const char> bytes) {
  BERTH_TRY_STATUS(check_live());
  sha256_.update(bytes.data(), bytes.size());
  size_ += bytes.size();
  tail_.append(bytes.data(), bytes.size());
  while (tail_.size() >= context_->part_size) BERTH_TRY_STATUS(flush_part(context_->part_size));
  return ok();
}

Status S3BlobWriter::flush_part(std::size_t length) {
  if (parts_.size() + 1 >= static_cast<std::size_t>(kMaxParts)) {
    return fail(ErrorCode::kSizeInvalid, "blob is larger than the S3 store's multipart limit",
                std::to_string(kMaxParts) + " parts of " + std::to_string(context_->part_size));
  }
  const std::string data_key = context_->keys.upload_data(id_);
  if (multipart_id_.empty()) {
    multipart_id_ = BERTH_TRY(context_->objects.create_multipart(data_key));
  }
  const int number = static_cast<int>(parts_.size()) + 1;
  std::string etag = BERTH_TRY(context_->objects.upload_part(
      data_key, multipart_id_, number, std::string_view(tail_).substr(0, length)));
  parts_.push_back({number, length, std::move(etag)});
  tail_.erase(0, length);
  // The staged segments held bytes that are in a part now.
  superseded_.insert(superseded_.end(), segments_.begin(), segments_.end());
  segments_.clear();
  staged_ = 0;
  return ok();
}

Status S3BlobWriter::save_state() {
  BERTH_TRY_STATUS(check_live());
  const std::uint64_t parts_size = size_ - tail_.size();
  if (tail_.size() > staged_ && segments_.size() >= kMaxSegments) {
    // Restage the whole tail as one segment instead of adding a ninth.
    superseded_.insert(superseded_.end(), segments_.begin(), segments_.end());
    segments_.clear();
    staged_ = 0;
  }
  if (tail_.size() > staged_) {
    const std::uint64_t from = parts_size + staged_;
    BERTH_TRY_STATUS(context_->objects.put(context_->keys.upload_tail(id_, from, size_),
                                           std::string_view(tail_).substr(staged_)));
    segments_.push_back({from, size_ - from});
    staged_ = tail_.size();
  }
  S3UploadState state;
  state.started_at_ns = started_at_ns_;
  state.size = size_;
  state.sha256 = sha256_;
  state.multipart_id = multipart_id_;
  state.parts = parts_;
  state.segments = segments_;
  BERTH_TRY_STATUS(
      context_->objects.put(context_->keys.upload_state(id_), encode_s3_upload_state(state)));
  // No saved state lists these any more; one left behind only costs space
  // until the upload ends.
  for (const S3Segment& segment : superseded_) {
    (void)context_->objects.remove(
        context_->keys.upload_tail(id_, segment.offset, segment.offset + segment.length));
  }
  superseded_.clear();
  return ok();
}

Result<oci::Digest> S3BlobWriter::current_digest(oci::DigestAlgorithm alg) {
  BERTH_TRY_STATUS(check_live());
  if (alg == oci::DigestAlgorithm::kSha256) return digest_of(sha256_);
  if (!parts_.empty()) {
    return fail(ErrorCode::kUnsupported,
                "the SHA-512 digest of an upload past one part is computed at commit");
  }
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha512);
  hasher.update(tail_);
  return digest_of(hasher);
}

Result<oci::Digest> S3BlobWriter::sha512_of_object(const std::string& key) {
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha512);
  for (std::uint64_t offset = 0; offset < size_; offset += kHashWindow) {
    std::string window = BERTH_TRY(context_->objects.get_range(
        key, offset, std::min(kHashWindow, size_ - offset), ErrorCode::kUploadNotFound));
    hasher.update(window);
  }
  return digest_of(hasher);
}

Result<BlobInfo> S3BlobWriter::commit(const oci::Digest& expected) {
  BERTH_TRY_STATUS(check_live());
  if (auto valid = check_digest(expected); !valid) {
    discard();
    return std::unexpected(std::move(valid).error());
  }
  // Aborted while this writer was held: it must not publish anything.
  auto state = context_->objects.head(context_->keys.upload_state(id_), ErrorCode::kUploadNotFound);
  if (!state) {
    if (state.error().code == ErrorCode::kUploadNotFound) live_ = false;
    return std::unexpected(std::move(state).error());
  }
  // Checked before anything is visible, wherever the hash is at hand.
  std::optional<oci::Digest> actual;
  if (expected.algorithm() == oci::DigestAlgorithm::kSha256 || parts_.empty()) {
    actual = BERTH_TRY(current_digest(expected.algorithm()));
  }
  if (actual && *actual != expected) {
    discard();
    return fail(ErrorCode::kDigestMismatch, "upload content does not match the digest",
                "expected " + expected.str() + ", got " + actual->str());
  }
  auto info = publish(expected);
  // Spent whatever happened: on an S3 failure the upload stays for the
  // client to retry from its saved state, or for the collector.
  live_ = false;
  return info;
}

Result<BlobInfo> S3BlobWriter::publish(const oci::Digest& digest) {
  S3Objects& objects = context_->objects;
  const std::string target = context_->keys.blob(digest);
  auto existing = objects.head(target, ErrorCode::kBlobNotFound);
  if (existing && existing->size == size_) {
    // The same content is stored: keep it, but renew its LastModified,
    // from which a collector's grace period runs (best effort, as the
    // filesystem store's touch: the blob is there either way).
    (void)objects.copy(target, target, size_);
    (void)remove_upload(*context_, id_);
    return BlobInfo{digest, size_};
  }
  if (!existing && existing.error().code != ErrorCode::kBlobNotFound) {
    return std::unexpected(std::move(existing).error());
  }
  if (parts_.empty()) {
    BERTH_TRY_STATUS(objects.put(target, tail_));
  } else {
    if (!tail_.empty()) BERTH_TRY_STATUS(flush_part(tail_.size()));  // the last part may be short
    const std::string data_key = context_->keys.upload_data(id_);
    std::vector<CompletedPart> completed;
    for (const S3Part& part : parts_) completed.push_back({part.number, part.etag});
    if (auto done = objects.complete_multipart(data_key, multipart_id_, completed); !done) {
      // An earlier attempt may have completed it and lost the answer.
      auto data = objects.head(data_key, ErrorCode::kUploadNotFound);
      if (!data || data->size != size_) return std::unexpected(std::move(done).error());
    }
    if (digest.algorithm() != oci::DigestAlgorithm::kSha256) {
      oci::Digest actual = BERTH_TRY(sha512_of_object(data_key));
      if (actual != digest) {
        discard();
        return fail(ErrorCode::kDigestMismatch, "upload content does not match the digest",
                    "expected " + digest.str() + ", got " + actual.str());
      }
    }
    BERTH_TRY_STATUS(objects.copy(data_key, target, size_));
  }
  // The blob is committed; what is left of the upload is garbage the
  // collector's stale-upload sweep reclaims, not a reason to fail.
  (void)remove_upload(*context_, id_);
  return BlobInfo{digest, size_};
}

}  // namespace berth::storage::blob::s3
