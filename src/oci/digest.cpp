#include "oci/digest.hpp"

namespace berth::oci {

std::string_view algorithm_name(DigestAlgorithm alg) {
  return alg == DigestAlgorithm::kSha512 ? "sha512" : "sha256";
}

std::size_t hex_length(DigestAlgorithm alg) {
  return alg == DigestAlgorithm::kSha512 ? 128 : 64;
}

namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// algorithm-component per the image spec: [a-z0-9]+ joined by [+._-].
bool is_algorithm_grammar(std::string_view s) {
  if (s.empty()) return false;
  bool prev_sep = true;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool sep = c == '+' || c == '.' || c == '_' || c == '-';
    if (!alnum && !sep) return false;
    if (sep && prev_sep) return false;
    prev_sep = sep;
  }
  return !prev_sep;
}

// encoded per the image spec: [a-zA-Z0-9=_-]+
bool is_encoded_grammar(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '=' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::kDigestInvalid, "digest has no algorithm prefix",
                std::string(text.substr(0, 200)));
  }
  std::string_view alg = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  if (!is_algorithm_grammar(alg) || !is_encoded_grammar(hex)) {
    return fail(ErrorCode::kDigestInvalid, "digest is malformed", std::string(text.substr(0, 200)));
  }
  DigestAlgorithm algorithm;
  if (alg == "sha256") {
    algorithm = DigestAlgorithm::kSha256;
  } else if (alg == "sha512") {
    algorithm = DigestAlgorithm::kSha512;
  } else {
    return fail(ErrorCode::kDigestInvalid, "unsupported digest algorithm " + std::string(alg.substr(0, 32)),
                std::string(text.substr(0, 200)));
  }
  if (hex.size() != hex_length(algorithm) || !is_lower_hex(hex)) {
    return fail(ErrorCode::kDigestInvalid,
                std::string(alg) + " digest must be " + std::to_string(hex_length(algorithm)) +
                    " lowercase hex characters",
                std::string(text.substr(0, 200)));
  }
  return from_hex(algorithm, hex);
}

Digest Digest::from_hex(DigestAlgorithm alg, std::string_view hex) {
  Digest d;
  d.algorithm_ = alg;
  d.text_.reserve(algorithm_name(alg).size() + 1 + hex.size());
  d.text_.append(algorithm_name(alg)).append(":").append(hex);
  return d;
}

std::string_view Digest::hex() const {
  std::string_view t = text_;
  auto colon = t.find(':');
  return colon == std::string_view::npos ? std::string_view{} : t.substr(colon + 1);
}

}  // namespace berth::oci
