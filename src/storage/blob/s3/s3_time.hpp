// The two time formats S3 speaks: ISO 8601 in XML ("2026-12-05T07:37:17.000Z",
// LastModified of a listing) and the HTTP date of headers ("Sat, 05 Dec 2026
// 07:37:17 GMT", Last-Modified of HEAD), both to ms since the epoch, UTC.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::storage::blob::s3 {

// Fractional seconds are kept to the millisecond; nullopt unless the text
// is "YYYY-MM-DDThh:mm:ss[.fff…]Z".
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// IMF-fixdate (RFC 9110 5.6.7); nullopt for anything else.
std::optional<std::int64_t> parse_http_date_ms(std::string_view text);

}  // namespace berth::storage::blob::s3
