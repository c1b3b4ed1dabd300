// UploadState: the contents of an upload's `state` file (see layout.hpp),
// i.e. how many bytes of `data` are accounted for and the SHA-256 state
// after hashing exactly those bytes, so a new writer resumes hashing
// without re-reading the data.
//
// Only SHA-256 is carried: it is the digest nearly every client pushes.
// SHA-512 digests are computed on demand by re-reading the data file (see
// fs_blob_writer.hpp), which costs nothing for uploads that never ask.
//
// Encoding (host byte order: the exported hash state is host-specific
// anyway, like distribution's hashstates):
//   8 bytes  magic "bupst001"
//   8 bytes  size (uint64)
//   4 bytes  length N of the exported hasher state (uint32)
//   N bytes  crypto::Hasher::export_state() of a SHA-256 hasher
//   64 bytes lowercase hex SHA-256 of all the bytes above (torn-write check)
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hasher.hpp"
#include "util/result.hpp"

namespace berth::storage::blob::fs {

struct UploadState {
  std::uint64_t size = 0;
  crypto::Hasher sha256{crypto::HashAlgorithm::kSha256};
};

// REQUIRES: state.sha256 is a SHA-256 hasher that has hashed state.size bytes.
std::string encode_upload_state(const UploadState& state);

// kCorruption for anything encode_upload_state did not produce, including
// a truncated or torn file.
Result<UploadState> decode_upload_state(std::string_view bytes);

// Upper bound on an encoded state, for reading it back.
inline constexpr std::size_t kMaxUploadStateSize = 4096;

}  // namespace berth::storage::blob::fs
