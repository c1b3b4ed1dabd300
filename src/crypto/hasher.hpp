// Incremental SHA-256 / SHA-512 whose internal state can be exported and
// imported, so an upload interrupted mid-way (another request, another
// process, a restart) resumes hashing without re-reading what it has.
//
// Thread-safety: a Hasher is a value used by one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::crypto {

enum class HashAlgorithm { kSha256, kSha512 };

class Hasher {
 public:
  explicit Hasher(HashAlgorithm alg);
  Hasher(const Hasher&);
  Hasher& operator=(const Hasher&);
  ~Hasher();

  HashAlgorithm algorithm() const { return alg_; }
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  std::uint64_t bytes_hashed() const { return bytes_; }
  // Lowercase hex of the digest of everything hashed so far; the hasher can
  // keep being updated afterwards.
  std::string hex_digest() const;

  // Opaque, versioned serialisation of the state (a few hundred bytes).
  std::string export_state() const;
  // kCorruption when `state` is not something export_state produced.
  static Result<Hasher> import_state(std::string_view state);

 private:
  struct State;
  HashAlgorithm alg_;
  std::uint64_t bytes_ = 0;
  State* state_;
};

// One-shot helpers.
std::string sha256_hex(std::string_view bytes);
std::string sha512_hex(std::string_view bytes);

// Raw HMAC-SHA256 (32 bytes) of data under key.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Constant-time equality (CRYPTO_memcmp); false when lengths differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// n cryptographically random bytes (RAND_bytes).
std::string random_bytes(std::size_t n);

}  // namespace berth::crypto
