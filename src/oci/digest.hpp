// Digest: a content address "<algorithm>:<hex>" as the OCI image spec
// defines it. berth accepts the registered algorithms sha256 (64 lowercase
// hex) and sha512 (128 lowercase hex); any other well-formed algorithm is
// reported as unsupported, anything malformed as invalid.
//
// Thread-safety: immutable value type.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::oci {

enum class DigestAlgorithm { kSha256, kSha512 };

std::string_view algorithm_name(DigestAlgorithm alg);  // "sha256" / "sha512"
std::size_t hex_length(DigestAlgorithm alg);             // 64 / 128

class Digest {
 public:
  Digest() = default;  // an empty, invalid digest; only for containers

  // kDigestInvalid for malformed input or an unsupported algorithm.
  static Result<Digest> parse(std::string_view text);
  // REQUIRES: hex is lowercase and of hex_length(alg).
  static Digest from_hex(DigestAlgorithm alg, std::string_view hex);

  DigestAlgorithm algorithm() const { return algorithm_; }
  std::string_view hex() const;        // the encoded part
  const std::string& str() const { return text_; }  // "sha256:…"
  bool empty() const { return text_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.text_ == b.text_; }
  friend auto operator<=>(const Digest& a, const Digest& b) { return a.text_ <=> b.text_; }

 private:
  DigestAlgorithm algorithm_ = DigestAlgorithm::kSha256;
  std::string text_;
};

}  // namespace berth::oci

template <>
struct std::hash<berth::oci::Digest> {
  std::size_t operator()(const berth::oci::Digest& d) const noexcept {
    return std::hash<std::string>{}(d.str());
  }
};
