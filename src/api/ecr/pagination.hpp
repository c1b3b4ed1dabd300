// ECR pagination: `maxResults` and the opaque `nextToken` of DescribeImages
// and ListImages.
//
// A token is a keyset cursor, never an offset: it names the last entry the
// previous page returned (an image digest and, for ListImages, the last tag
// returned within that image), so inserts and deletes between pages never
// repeat or skip entries that stayed put. On the wire it is base64url
// (unpadded) of a versioned binary record:
//   u8 version (1) | fields as u32-BE length + bytes: operation, scope,
//   after, after_tag | first 8 bytes of SHA-256 over everything before.
// The operation and scope (the repository) are bound into the token, so a
// token is only accepted by the listing that issued it. The checksum makes
// any edit detectable; it is not a secret (tokens carry nothing private).
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::api::ecr {

inline constexpr std::size_t kDefaultMaxResults = 100;
inline constexpr std::size_t kMaxMaxResults = 1000;

struct PageCursor {
  std::string operation;  // "DescribeImages", "ListImages"
  std::string scope;      // "<registry>/<repository>"
  std::string after;      // last digest returned
  std::string after_tag;  // last tag returned within `after`; "" = the whole image was
};

std::string encode_next_token(const PageCursor& cursor);

// kInvalidArgument ("Invalid parameter at 'nextToken' ...") when the token
// is not base64url, has another version, is truncated or altered, or was
// issued for another operation or scope.
Result<PageCursor> decode_next_token(std::string_view token, std::string_view operation,
                                     std::string_view scope);

// maxResults from the input (model-validated to 1..1000), default 100.
std::size_t max_results(const boost::json::object& input);

}  // namespace berth::api::ecr
