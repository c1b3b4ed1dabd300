// The low-level SHA256_CTX/SHA512_CTX API is deprecated in OpenSSL 3 but is
// the only one whose state is a plain struct we can serialise for resumable
// uploads; EVP_MD_CTX offers no export.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/hasher.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <stdexcept>

namespace berth::crypto {

struct Hasher::State {
  SHA256_CTX sha256;
  SHA512_CTX sha512;
};

namespace {
constexpr char kStateMagic[8] = {'b', 'h', 's', 't', '0', '0', '0', '1'};

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}
}  // namespace

Hasher::Hasher(HashAlgorithm alg) : alg_(alg), state_(new State{}) {
  if (alg_ == HashAlgorithm::kSha256) {
    SHA256_Init(&state_->sha256);
  } else {
    SHA512_Init(&state_->sha512);
  }
}

Hasher::Hasher(const Hasher& other)
    : alg_(other.alg_), bytes_(other.bytes_), state_(new State(*other.state_)) {}

Hasher& Hasher::operator=(const Hasher& other) {
  if (this != &other) {
    alg_ = other.alg_;
    bytes_ = other.bytes_;
    *state_ = *other.state_;
  }
  return *this;
}

Hasher::~Hasher() { delete state_; }

void Hasher::update(const void* data, std::size_t size) {
  if (size == 0) return;
  if (alg_ == HashAlgorithm::kSha256) {
    SHA256_Update(&state_->sha256, data, size);
  } else {
    SHA512_Update(&state_->sha512, data, size);
  }
  bytes_ += size;
}

std::string Hasher::hex_digest() const {
  unsigned char out[SHA512_DIGEST_LENGTH];
  if (alg_ == HashAlgorithm::kSha256) {
    SHA256_CTX copy = state_->sha256;
    SHA256_Final(out, &copy);
    return to_hex(out, SHA256_DIGEST_LENGTH);
  }
  SHA512_CTX copy = state_->sha512;
  SHA512_Final(out, &copy);
  return to_hex(out, SHA512_DIGEST_LENGTH);
}

std::string Hasher::export_state() const {
  std::string out(kStateMagic, sizeof kStateMagic);
  out.push_back(alg_ == HashAlgorithm::kSha256 ? '2' : '5');
  out.append(reinterpret_cast<const char*>(&bytes_), sizeof bytes_);
  if (alg_ == HashAlgorithm::kSha256) {
    out.append(reinterpret_cast<const char*>(&state_->sha256), sizeof(SHA256_CTX));
  } else {
    out.append(reinterpret_cast<const char*>(&state_->sha512), sizeof(SHA512_CTX));
  }
  return out;
}

Result<Hasher> Hasher::import_state(std::string_view state) {
  constexpr std::size_t head = sizeof kStateMagic + 1 + sizeof(std::uint64_t);
  if (state.size() < head || std::memcmp(state.data(), kStateMagic, sizeof kStateMagic) != 0) {
    return fail(ErrorCode::kCorruption, "hash state has an unknown format");
  }
  char tag = state[sizeof kStateMagic];
  HashAlgorithm alg = tag == '2' ? HashAlgorithm::kSha256 : HashAlgorithm::kSha512;
  std::size_t ctx_size = tag == '2' ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
  if ((tag != '2' && tag != '5') || state.size() != head + ctx_size) {
    return fail(ErrorCode::kCorruption, "hash state has the wrong size");
  }
  Hasher h(alg);
  std::memcpy(&h.bytes_, state.data() + sizeof kStateMagic + 1, sizeof h.bytes_);
  if (alg == HashAlgorithm::kSha256) {
    std::memcpy(&h.state_->sha256, state.data() + head, ctx_size);
  } else {
    std::memcpy(&h.state_->sha512, state.data() + head, ctx_size);
  }
  return h;
}

std::string sha256_hex(std::string_view bytes) {
  Hasher h(HashAlgorithm::kSha256);
  h.update(bytes);
  return h.hex_digest();
}

std::string sha512_hex(std::string_view bytes) {
  Hasher h(HashAlgorithm::kSha512);
  h.update(bytes);
  return h.hex_digest();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");  // only on OpenSSL misconfiguration
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

}  // namespace berth::crypto
