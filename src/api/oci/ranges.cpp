#include "api/oci/ranges.hpp"

#include <algorithm>
#include <charconv>

namespace berth::api::oci {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A non-empty run of decimal digits that fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

RangeSelection select_range(std::string_view header, std::uint64_t size) {
  const RangeSelection whole;
  header = trim(header);
  if (!iequals_prefix(header, "bytes=")) return whole;
  std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;  // multi-range: ignored
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = trim(spec.substr(0, dash));
  const std::string_view last_text = trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // suffix range "-n": the last n bytes
    const auto suffix = parse_decimal(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return {RangeKind::kUnsatisfiable, {}};
    const std::uint64_t n = std::min(*suffix, size);
    return {RangeKind::kPartial, {size - n, size - 1}};
  }
  const auto first = parse_decimal(first_text);
  if (!first) return whole;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    const auto parsed = parse_decimal(last_text);
    if (!parsed) return whole;  // syntactically invalid
    // A backwards range: 416, as Distribution (Go's ServeContent) answers
    // and both conformance suites expect, rather than RFC 9110's "ignore".
    if (*parsed < *first) return {RangeKind::kUnsatisfiable, {}};
    last = std::min(*parsed, last);
  }
  if (*first >= size) return {RangeKind::kUnsatisfiable, {}};
  return {RangeKind::kPartial, {*first, last}};
}

std::string content_range_value(const ByteRange& range, std::uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
         std::to_string(size);
}

std::string unsatisfied_range_value(std::uint64_t size) {
  return "bytes */" + std::to_string(size);
}

std::optional<ByteRange> parse_content_range(std::string_view header) {
  std::string_view s = trim(header);
  if (iequals_prefix(s, "bytes=")) {
    s.remove_prefix(6);
  } else if (iequals_prefix(s, "bytes ")) {
    s.remove_prefix(6);
  }
  s = trim(s);
  if (const std::size_t slash = s.find('/'); slash != std::string_view::npos) {
    const std::string_view total = s.substr(slash + 1);
    if (total != "*" && !parse_decimal(total)) return std::nullopt;
    s = s.substr(0, slash);
  }
  const std::size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto first = parse_decimal(s.substr(0, dash));
  const auto last = parse_decimal(s.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  return ByteRange{*first, *last};
}

std::string upload_range_value(std::uint64_t size) {
  return "0-" + std::to_string(size == 0 ? 0 : size - 1);
}

}  // namespace berth::api::oci
