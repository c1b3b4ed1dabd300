// Glue between the OCI digest vocabulary and the crypto hasher, shared by
// every blob store backend so they agree on how a digest is formed.
//
// Thread-safety: free functions over values; safe from any thread.
#pragma once

#include "crypto/hasher.hpp"
#include "oci/digest.hpp"

namespace berth::storage::blob {

inline crypto::HashAlgorithm to_hash_algorithm(oci::DigestAlgorithm alg) {
  return alg == oci::DigestAlgorithm::kSha512 ? crypto::HashAlgorithm::kSha512
                                              : crypto::HashAlgorithm::kSha256;
}

inline oci::DigestAlgorithm to_digest_algorithm(crypto::HashAlgorithm alg) {
  return alg == crypto::HashAlgorithm::kSha512 ? oci::DigestAlgorithm::kSha512
                                               : oci::DigestAlgorithm::kSha256;
}

// The digest of everything the hasher has seen so far.
inline oci::Digest digest_of(const crypto::Hasher& hasher) {
  return oci::Digest::from_hex(to_digest_algorithm(hasher.algorithm()), hasher.hex_digest());
}

// Rejects the default-constructed Digest, which names no blob; backends call
// this before building a path or key from a caller's digest.
inline Status check_digest(const oci::Digest& digest) {
  if (digest.empty()) return fail(ErrorCode::kDigestInvalid, "empty digest");
  return ok();
}

}  // namespace berth::storage::blob
