// Repository names, tags and references, with the grammars of the OCI
// distribution spec:
//   name:  [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
//          at most 256 characters in all
//   tag:   [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
// A reference (the <reference> of /v2/<name>/manifests/<reference>) is a
// digest when it contains ':', else a tag.
//
// Pure. Thread-safety: free functions and immutable values.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "oci/digest.hpp"
#include "util/result.hpp"

namespace berth::oci {

inline constexpr std::size_t kMaxRepositoryNameLength = 256;

// kNameInvalid with a message saying what is wrong.
Status validate_repository_name(std::string_view name);
// kTagInvalid with a message saying what is wrong.
Status validate_tag(std::string_view tag);

class Reference {
 public:
  // kDigestInvalid / kTagInvalid.
  static Result<Reference> parse(std::string_view text);
  static Reference of_tag(std::string tag);
  static Reference of_digest(Digest digest);

  bool is_digest() const { return std::holds_alternative<Digest>(value_); }
  bool is_tag() const { return !is_digest(); }
  // REQUIRES: is_tag().
  const std::string& tag() const { return std::get<std::string>(value_); }
  // REQUIRES: is_digest().
  const Digest& digest() const { return std::get<Digest>(value_); }
  std::string str() const;

 private:
  std::variant<std::string, Digest> value_;
};

}  // namespace berth::oci
