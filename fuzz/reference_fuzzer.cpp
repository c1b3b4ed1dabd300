// Fuzz target: repository names, tags, references and digests
// (oci/reference.hpp, oci/digest.hpp), the strings every /v2/ URL and ECR
// request carries. The whole input is offered to each parser, and each
// verdict is compared with an independent oracle: the grammar of the OCI
// distribution spec written as a std::regex. A disagreement is a crash.
#include <regex>
#include <string>

#include "fuzz_support.hpp"
#include "oci/digest.hpp"
#include "oci/reference.hpp"

namespace {

using berth::oci::Digest;
using berth::oci::Reference;

// std::regex recurses per character; inputs are capped before it is used.
constexpr std::size_t kOracleMaxLength = 512;

const std::regex &name_grammar() {
  static const std::regex re(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/"
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  return re;
}
const std::regex &tag_grammar() {
  static const std::regex re("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
  return re;
}
const std::regex &supported_digest() {
  static const std::regex re("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}");
  return re;
}

void check_digest(std::string_view text) {
  auto d = Digest::parse(text);
  if (text.size() <= kOracleMaxLength) {
    bool expected = std::regex_match(text.begin(), text.end(), supported_digest());
    FUZZ_CHECK(d.has_value() == expected, "Digest::parse disagrees with the spec grammar");
  }
  if (!d) {
    FUZZ_CHECK(d.error().code == berth::ErrorCode::kDigestInvalid, "unexpected error code");
    FUZZ_CHECK(d.error().detail.size() <= 300, "digest error detail echoes too much input");
    FUZZ_CHECK_OPEN("oci:digest-algorithm-echoed", d.error().message.size() <= kOracleMaxLength,
                    "Digest::parse echoes the whole algorithm component");
    return;
  }
  FUZZ_CHECK(d->str() == text, "digest does not print back as parsed");
  FUZZ_CHECK(d->hex().size() == berth::oci::hex_length(d->algorithm()), "hex length");
  FUZZ_CHECK(berth::fuzz::is_lower_hex(d->hex()), "hex is not lowercase hex");
  FUZZ_CHECK(Digest::from_hex(d->algorithm(), d->hex()) == *d, "from_hex round trip");
}

void check_name(std::string_view text) {
  auto s = berth::oci::validate_repository_name(text);
  if (text.size() > berth::oci::kMaxRepositoryNameLength) {
    FUZZ_CHECK(!s, "over-long repository name accepted");
  } else {
    bool expected = std::regex_match(text.begin(), text.end(), name_grammar());
    FUZZ_CHECK(s.has_value() == expected, "validate_repository_name disagrees with the grammar");
  }
  if (!s) FUZZ_CHECK(s.error().code == berth::ErrorCode::kNameInvalid, "unexpected error code");
}

void check_tag(std::string_view text) {
  auto s = berth::oci::validate_tag(text);
  if (text.size() <= kOracleMaxLength) {
    bool expected = std::regex_match(text.begin(), text.end(), tag_grammar());
    FUZZ_CHECK(s.has_value() == expected, "validate_tag disagrees with the grammar");
  } else {
    FUZZ_CHECK(!s, "over-long tag accepted");
  }
}

void check_reference(std::string_view text) {
  auto r = Reference::parse(text);
  if (!r) return;
  FUZZ_CHECK(r->str() == text, "reference does not print back as parsed");
  if (r->is_digest()) {
    FUZZ_CHECK(Digest::parse(text).has_value(), "digest reference that is not a digest");
  } else {
    FUZZ_CHECK(berth::oci::validate_tag(r->tag()).has_value(), "tag reference that is not a tag");
  }
  auto again = Reference::parse(r->str());
  FUZZ_CHECK(again && again->str() == r->str(), "reference does not re-parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text = berth::fuzz::as_text(data, size);
  check_digest(text);
  check_name(text);
  check_tag(text);
  check_reference(text);
  // "name:tag" / "name@digest" as clients write image references: each part
  // goes through the parser that owns it.
  if (auto at = text.rfind('@'); at != std::string_view::npos) {
    check_name(text.substr(0, at));
    check_digest(text.substr(at + 1));
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    check_name(text.substr(0, colon));
    check_tag(text.substr(colon + 1));
  }
  return 0;
}
