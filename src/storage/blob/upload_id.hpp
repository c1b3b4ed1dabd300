// UploadId: the validated name of an upload in progress.
//
// The registry core chooses upload ids; the blob store only accepts those
// made of [A-Za-z0-9-] and at most kMaxUploadIdLength long. Parsing is the
// only way to obtain an UploadId, so every path or key built from one (see
// layout.hpp) is known to stay inside its store: no '/', no '.', no '..'.
// An id that fails to parse is reported as kUploadNotFound, because no such
// upload can exist.
//
// Thread-safety: immutable value type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::storage::blob {

inline constexpr std::size_t kMaxUploadIdLength = 128;

class UploadId {
 public:
  // kUploadNotFound unless text matches [A-Za-z0-9-]{1,128}.
  static Result<UploadId> parse(std::string_view text);

  const std::string& str() const { return text_; }

  friend bool operator==(const UploadId&, const UploadId&) = default;

 private:
  explicit UploadId(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace berth::storage::blob
