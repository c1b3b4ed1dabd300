// S3UploadState: the document at uploads/<id>/state (s3_keys.hpp), which is
// everything an upload of the S3 store is between two requests, so the next
// chunk may land on any process, before or after a restart:
//
//   - how many bytes the upload holds and the SHA-256 state after hashing
//     exactly those (resume continues hashing without re-reading);
//   - the S3 multipart upload (its id) and the parts already uploaded to
//     it, all of one part size, covering [0, P);
//   - the staged tail segments, objects uploads/<id>/tail/<offset> that
//     cover [P, size) contiguously: bytes too few to make a part yet.
//
// The document is replaced with one PUT, which S3 makes atomic, so a
// reader sees the old state or the new one. Text, one field per line:
//
//   berth-s3-upload 1
//   started_at_ns <decimal>
//   size <decimal>
//   sha256 <hex of crypto::Hasher::export_state()>
//   multipart <upload id, or "-">
//   part <number> <size> <etag>        (zero or more, in number order)
//   segment <offset> <length>          (zero or more, in offset order)
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hasher.hpp"
#include "util/result.hpp"

namespace berth::storage::blob::s3 {

struct S3Part {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag;
  friend bool operator==(const S3Part&, const S3Part&) = default;
};

struct S3Segment {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const S3Segment&, const S3Segment&) = default;
};

struct S3UploadState {
  std::int64_t started_at_ns = 0;
  std::uint64_t size = 0;
  crypto::Hasher sha256{crypto::HashAlgorithm::kSha256};
  std::string multipart_id;  // empty: no multipart upload yet
  std::vector<S3Part> parts;
  std::vector<S3Segment> segments;

  std::uint64_t parts_size() const;
};

std::string encode_s3_upload_state(const S3UploadState& state);

// kCorruption for anything encode_s3_upload_state did not produce, and for
// a state whose parts, segments, size and hash disagree.
Result<S3UploadState> decode_s3_upload_state(std::string_view text);

}  // namespace berth::storage::blob::s3
