// Pagination of tags/list and _catalog, as the OCI distribution spec and
// CNCF Distribution do it: `n` (page size) and `last` (the entry after which
// the page starts) query parameters, and an RFC 8288 Link header
//   Link: </v2/<name>/tags/list?n=<n>&last=<last>>; rel="next"
// when more entries remain.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::api::oci {

struct PageRequest {
  std::size_t n = 0;       // entries wanted, already capped at the maximum
  std::string last;        // "" = from the start
};

// `n_param` absent selects `max_page_size`; a value above it is capped.
// kInvalidArgument when `n` is not a non-negative decimal integer.
Result<PageRequest> parse_page_request(std::optional<std::string_view> n_param,
                                       std::optional<std::string_view> last_param,
                                       std::size_t max_page_size);

// RFC 3986 percent-encoding of a query value: everything but the unreserved
// characters (ALPHA DIGIT - . _ ~) becomes %XX.
std::string percent_encode_query_value(std::string_view value);

// `<path?n=<n>&last=<last>>; rel="next"`. `path` is a route path built from
// validated components (it is not encoded); n and last are.
std::string next_page_link(std::string_view path, std::size_t n, std::string_view last);

}  // namespace berth::api::oci
