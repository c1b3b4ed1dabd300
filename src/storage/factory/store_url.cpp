#include "storage/factory/store_url.hpp"

#include <cctype>

namespace berth::storage::factory {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0) {
      return fail(ErrorCode::kInvalidArgument,
                  "malformed percent-encoding in the store URL's " + std::string(what));
    }
    out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
    i += 2;
  }
  return out;
}

}  // namespace

Result<StoreUrl> parse_store_url(std::string_view text) {
  StoreUrl url;
  url.text = std::string(text);
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "store URL '" + redact_url(text) +
                    "' has no scheme (expected file://, s3://, sqlite:// or postgresql://)");
  }
  for (char c : text.substr(0, sep)) {
    url.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view rest = text.substr(sep + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  url.location = BERTH_TRY(percent_decode(rest, "location"));
  if (url.location.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "store URL '" + redact_url(text) + "' names no path, bucket or database");
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    std::string key = BERTH_TRY(percent_decode(item.substr(0, eq), "parameters"));
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : BERTH_TRY(percent_decode(item.substr(eq + 1), "parameters"));
    if (key.empty()) {
      return fail(ErrorCode::kInvalidArgument, "store URL has a parameter without a name");
    }
    if (!url.params.emplace(key, std::move(value)).second) {
      return fail(ErrorCode::kInvalidArgument, "store URL gives parameter '" + key + "' twice");
    }
  }
  return url;
}

std::string redact_url(std::string_view text) {
  // scheme://user:password@host...: hide what lies between ':' and '@'.
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::string(text);
  const auto authority_end = text.find_first_of("/?", sep + 3);
  const std::string_view authority = text.substr(
      sep + 3, authority_end == std::string_view::npos ? std::string_view::npos
                                                       : authority_end - sep - 3);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  const auto colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::string(text);
  std::string out(text.substr(0, sep + 3 + colon + 1));
  out += "***";
  out += text.substr(sep + 3 + at);
  return out;
}

}  // namespace berth::storage::factory
