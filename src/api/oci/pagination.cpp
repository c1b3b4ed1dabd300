#include "api/oci/pagination.hpp"

#include <algorithm>
#include <charconv>

namespace berth::api::oci {

Result<PageRequest> parse_page_request(std::optional<std::string_view> n_param,
                                       std::optional<std::string_view> last_param,
                                       std::size_t max_page_size) {
  PageRequest page;
  page.n = max_page_size;
  if (n_param) {
    const std::string_view text = *n_param;
    const bool digits =
        !text.empty() && std::all_of(text.begin(), text.end(),
                                     [](char c) { return c >= '0' && c <= '9'; });
    std::size_t value = 0;
    if (!digits) {
      return fail(ErrorCode::kInvalidArgument, "invalid page size n: must be a non-negative integer",
                  std::string(text));
    }
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
    // Too large to represent: still just "more than the maximum".
    if (parsed.ec == std::errc::result_out_of_range) value = max_page_size;
    page.n = std::min(value, max_page_size);
  }
  if (last_param) page.last = std::string(*last_param);
  return page;
}

std::string percent_encode_query_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::string next_page_link(std::string_view path, std::size_t n, std::string_view last) {
  std::string link = "<";
  link += path;
  link += "?n=";
  link += std::to_string(n);
  link += "&last=";
  link += percent_encode_query_value(last);
  link += ">; rel=\"next\"";
  return link;
}

}  // namespace berth::api::oci
