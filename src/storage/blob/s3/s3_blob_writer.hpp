// S3BlobWriter: one upload of the S3 blob store. Appended bytes collect in
// a tail buffer, hashed as they come; each time the tail reaches the part
// size it goes to S3 as the next part of the upload's multipart upload.
// save_state() stages the tail bytes not yet staged as an object of their
// own and then replaces the upload's state document (s3_upload_state.hpp),
// so a chunk of any size can be saved and the next one can land on
// another process. Memory per writer is bounded by about one part size.
//
// commit(): the SHA-256 digest is checked from the running hash before
// anything becomes visible. Below one part, the blob is one PUT of the tail
// to its key under blobs/. Otherwise the tail is the last part, the
// multipart upload completes onto uploads/<id>/data, and a server-side copy
// puts it under blobs/ (S3 has no rename; a multipart upload's key is fixed
// when it starts, before the digest is known). SHA-512 digests are checked
// by re-reading: the tail, or the completed data object in windows, before
// the copy. PUT and copy are atomic in S3, so readers see the whole blob
// or nothing. The upload's objects are removed afterwards, the state last,
// so a crash between the copy and the clean-up leaves an upload that the
// collector's stale-upload sweep reclaims.
//
// Thread-safety: used by one thread at a time. Internal to the s3 backend.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crypto/hasher.hpp"
#include "storage/blob/blob_store.hpp"
#include "storage/blob/s3/s3_keys.hpp"
#include "storage/blob/s3/s3_objects.hpp"
#include "storage/blob/s3/s3_upload_state.hpp"
#include "storage/blob/upload_id.hpp"

namespace berth::storage::blob::s3 {

// What the store, its writers and readers share; they hold it so they stay
// valid after the store is gone.
struct S3Context {
  S3Context(S3Config config, std::string prefix)
      : part_size(config.part_size), objects(std::move(config)), keys(std::move(prefix)) {}
  std::uint64_t part_size;
  S3Objects objects;
  S3Keys keys;
};

// Removes every object and multipart upload of an upload, the state
// document last. kUploadNotFound when there was no state document.
Status remove_upload(S3Context& context, const UploadId& id);

// The state document of an upload; kUploadNotFound when absent.
Result<S3UploadState> load_upload_state(S3Context& context, const UploadId& id);

class S3BlobWriter final : public BlobWriter {
 public:
  // Writes an empty state document. kAlreadyExists when the id has one.
  static Result<std::unique_ptr<BlobWriter>> begin(std::shared_ptr<S3Context> context,
                                                   UploadId id);
  // Reopens at the saved state, reading the staged tail back (at most a
  // part). kUploadNotFound when there is no state document.
  static Result<std::unique_ptr<BlobWriter>> resume(std::shared_ptr<S3Context> context,
                                                    UploadId id);

  S3BlobWriter(const S3BlobWriter&) = delete;
  S3BlobWriter& operator=(const S3BlobWriter&) = delete;

  std::string_view upload_id() const override { return id_.str(); }
  std::uint64_t size() const override { return size_; }
  Status append(std::span<const char> bytes) override;
  Status save_state() override;
  Result<oci::Digest> current_digest(oci::DigestAlgorithm alg) override;
  Result<BlobInfo> commit(const oci::Digest& expected) override;

 private:
  S3BlobWriter(std::shared_ptr<S3Context> context, UploadId id, S3UploadState state,
               std::string tail);

  Status check_live() const;
  // Sends the first part_size bytes of the tail as the next part.
  Status flush_part(std::size_t length);
  // Removes the upload's objects and spends the writer.
  void discard();
  Result<BlobInfo> publish(const oci::Digest& digest);
  Result<oci::Digest> sha512_of_object(const std::string& key);

  std::shared_ptr<S3Context> context_;
  UploadId id_;
  bool live_ = true;
  std::int64_t started_at_ns_;
  std::uint64_t size_;
  crypto::Hasher sha256_;
  std::string multipart_id_;
  std::vector<S3Part> parts_;
  // Bytes [parts total, size_): not in any part yet.
  std::string tail_;
  // The staged segments the saved state lists, and how many leading bytes
  // of tail_ they cover (0 once a part took bytes they held).
  std::vector<S3Segment> segments_;
  std::uint64_t staged_ = 0;
  // Segments a part superseded, deleted once a state no longer lists them.
  std::vector<S3Segment> superseded_;
};

}  // namespace berth::storage::blob::s3
