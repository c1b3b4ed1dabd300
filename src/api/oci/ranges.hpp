// Byte ranges on the wire, in both directions:
//   - the Range request header of a blob GET (RFC 9110 §14: "bytes=a-b",
//     "bytes=a-", "bytes=-n"), resolved against the blob's size;
//   - the Content-Range header of an upload PATCH/PUT, which the OCI spec
//     writes "<start>-<end>" (inclusive); "bytes a-b", "bytes=a-b" and a
//     trailing "/<total>" are tolerated as clients send them;
//   - the Range response header of an upload ("0-<last byte>").
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::api::oci {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

enum class RangeKind {
  kWhole,          // no usable Range header: send the whole blob (200)
  kPartial,        // send `range` (206)
  kUnsatisfiable,  // 416 with "Content-Range: bytes */<size>"
};

struct RangeSelection {
  RangeKind kind = RangeKind::kWhole;
  ByteRange range;
};

// Resolves a Range header against a representation of `size` bytes. An
// absent, malformed, non-"bytes" or multi-range header selects the whole
// blob (RFC 9110 lets a server ignore Range); a last position past the end
// is clamped; a first position at or past the end, or any range of an empty
// blob, is unsatisfiable.
RangeSelection select_range(std::string_view header, std::uint64_t size);

// "bytes a-b/size" for a 206.
std::string content_range_value(const ByteRange& range, std::uint64_t size);
// "bytes */size" for a 416.
std::string unsatisfied_range_value(std::uint64_t size);

// Parses an upload chunk's Content-Range. nullopt when malformed or when
// end < start.
std::optional<ByteRange> parse_content_range(std::string_view header);

// The upload Range response value for `size` bytes received: "0-<size-1>",
// and "0-0" for an empty upload (as CNCF Distribution answers).
std::string upload_range_value(std::uint64_t size);

}  // namespace berth::api::oci
