#include "storage/blob/upload_id.hpp"

namespace berth::storage::blob {

namespace {

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

Result<UploadId> UploadId::parse(std::string_view text) {
  bool valid = !text.empty() && text.size() <= kMaxUploadIdLength;
  for (std::size_t i = 0; valid && i < text.size(); ++i) valid = is_id_char(text[i]);
  if (!valid) {
    // The detail is truncated so a hostile id cannot bloat logs.
    return fail(ErrorCode::kUploadNotFound, "upload id is not of the form [A-Za-z0-9-]{1,128}",
                std::string(text.substr(0, kMaxUploadIdLength)));
  }
  return UploadId(std::string(text));
}

}  // namespace berth::storage::blob
