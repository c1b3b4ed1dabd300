#include "oci/reference.hpp"

namespace berth::oci {

namespace {

constexpr std::size_t kMaxTagLength = 128;
// Echoing a hostile multi-kilobyte name back in full helps nobody.
constexpr std::size_t kMaxDetailLength = 300;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_name_separator(char c) { return c == '.' || c == '_' || c == '-'; }

std::string detail_of(std::string_view text) {
  return std::string(text.substr(0, kMaxDetailLength));
}

// Printable form of one offending character for messages.
std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u <= 0x7e) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0x0f];
}

Status name_error(std::string_view name, std::string message) {
  return fail(ErrorCode::kNameInvalid, "invalid repository name: " + std::move(message),
              detail_of(name));
}

// A separator run between two alphanumeric runs must be exactly ".", "_",
// "__" or one or more "-".
bool is_valid_separator(std::string_view sep) {
  if (sep == "." || sep == "_" || sep == "__") return true;
  for (char c : sep) {
    if (c != '-') return false;
  }
  return !sep.empty();
}

// One path component, [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*. `offset` is where
// it starts in the whole name, for messages.
Status validate_component(std::string_view name, std::string_view comp, std::size_t offset) {
  if (comp.empty()) {
    return name_error(name, "empty path component at offset " + std::to_string(offset) +
                                " (no leading, trailing or doubled '/')");
  }
  if (!is_lower_alnum(comp.front())) {
    return name_error(name, "path component at offset " + std::to_string(offset) +
                                " must start with a lowercase letter or digit");
  }
  if (!is_lower_alnum(comp.back())) {
    return name_error(name, "path component at offset " + std::to_string(offset) +
                                " must end with a lowercase letter or digit");
  }
  std::size_t i = 0;
  while (i < comp.size()) {
    if (is_lower_alnum(comp[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < comp.size() && is_name_separator(comp[i])) ++i;
    std::string_view sep = comp.substr(start, i - start);
    if (!is_valid_separator(sep)) {
      return name_error(name, "separator \"" + std::string(sep) + "\" at offset " +
                                  std::to_string(offset + start) +
                                  " is not allowed (use '.', '_', '__' or a run of '-')");
    }
  }
  return ok();
}

}  // namespace

Status validate_repository_name(std::string_view name) {
  if (name.empty()) return name_error(name, "name is empty");
  if (name.size() > kMaxRepositoryNameLength) {
    return name_error(name, "name is " + std::to_string(name.size()) +
                                " characters long; the limit is " +
                                std::to_string(kMaxRepositoryNameLength));
  }
  // Character set first, so "A" or "%" gets a message naming the character
  // rather than a confusing complaint about component shape.
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!is_lower_alnum(c) && !is_name_separator(c) && c != '/') {
      return name_error(name, describe_char(c) + " at offset " + std::to_string(i) +
                                  " is not allowed (only lowercase letters, digits, "
                                  "'.', '_', '-' and '/')");
    }
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = name.find('/', start);
    std::size_t end = slash == std::string_view::npos ? name.size() : slash;
    BERTH_TRY_STATUS(validate_component(name, name.substr(start, end - start), start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return ok();
}

Status validate_tag(std::string_view tag) {
  auto tag_error = [&](std::string message) -> Status {
    return fail(ErrorCode::kTagInvalid, "invalid tag: " + std::move(message), detail_of(tag));
  };
  if (tag.empty()) return tag_error("tag is empty");
  if (tag.size() > kMaxTagLength) {
    return tag_error("tag is " + std::to_string(tag.size()) + " characters long; the limit is " +
                     std::to_string(kMaxTagLength));
  }
  for (std::size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_';
    if (word) continue;
    if (i == 0 && (c == '.' || c == '-')) {
      return tag_error(describe_char(c) + " may not start a tag");
    }
    if (c != '.' && c != '-') {
      return tag_error(describe_char(c) + " at offset " + std::to_string(i) +
                       " is not allowed (only letters, digits, '_', '.' and '-')");
    }
  }
  return ok();
}

Result<Reference> Reference::parse(std::string_view text) {
  // Tags cannot contain ':', so its presence means the client meant a digest.
  if (text.find(':') != std::string_view::npos) {
    return of_digest(BERTH_TRY(Digest::parse(text)));
  }
  BERTH_TRY_STATUS(validate_tag(text));
  return of_tag(std::string(text));
}

Reference Reference::of_tag(std::string tag) {
  Reference r;
  r.value_ = std::move(tag);
  return r;
}

Reference Reference::of_digest(Digest digest) {
  Reference r;
  r.value_ = std::move(digest);
  return r;
}

std::string Reference::str() const { return is_digest() ? digest().str() : tag(); }

}  // namespace berth::oci
