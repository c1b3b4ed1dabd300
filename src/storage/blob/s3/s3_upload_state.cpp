#include "storage/blob/s3/s3_upload_state.hpp"

#include <charconv>

#include "util/hex.hpp"

namespace berth::storage::blob::s3 {

namespace {

constexpr std::string_view kMagic = "berth-s3-upload 1";

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// Splits "name rest" at the first space.
std::pair<std::string_view, std::string_view> field(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

std::unexpected<Error> corrupt(std::string_view why) {
  return fail(ErrorCode::kCorruption, "S3 upload state is corrupt", std::string(why));
}

}  // namespace

std::uint64_t S3UploadState::parts_size() const {
  std::uint64_t total = 0;
  for (const S3Part& part : parts) total += part.size;
  return total;
}

std::string encode_s3_upload_state(const S3UploadState& state) {
  std::string out(kMagic);
  out += "\nstarted_at_ns " + std::to_string(state.started_at_ns);
  out += "\nsize " + std::to_string(state.size);
  out += "\nsha256 " + to_hex(state.sha256.export_state());
  out += "\nmultipart " + (state.multipart_id.empty() ? std::string("-") : state.multipart_id);
  for (const S3Part& part : state.parts) {
    out += "\npart " + std::to_string(part.number) + " " + std::to_string(part.size) + " " +
           part.etag;
  }
  for (const S3Segment& segment : state.segments) {
    out += "\nsegment " + std::to_string(segment.offset) + " " + std::to_string(segment.length);
  }
  out += "\n";
  return out;
}

Result<S3UploadState> decode_s3_upload_state(std::string_view text) {
  if (!text.starts_with(kMagic) || !text.ends_with('\n')) return corrupt("bad header or end");
  text.remove_prefix(kMagic.size());
  if (!text.starts_with('\n')) return corrupt("bad header");
  text.remove_prefix(1);
  S3UploadState state;
  bool have_size = false, have_hash = false, have_started = false;
  while (!text.empty()) {
    // The text ends in '\n', so every line has one.
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    auto [name, value] = field(line);
    if (name == "started_at_ns") {
      have_started = parse_number(value, state.started_at_ns);
      if (!have_started) return corrupt("bad started_at_ns");
    } else if (name == "size") {
      have_size = parse_number(value, state.size);
      if (!have_size) return corrupt("bad size");
    } else if (name == "sha256") {
      auto bytes = from_hex(value);
      if (!bytes) return corrupt("bad sha256 hex");
      auto hasher = crypto::Hasher::import_state(*bytes);
      if (!hasher || hasher->algorithm() != crypto::HashAlgorithm::kSha256) {
        return corrupt("bad sha256 state");
      }
      state.sha256 = std::move(*hasher);
      have_hash = true;
    } else if (name == "multipart") {
      if (value.empty()) return corrupt("bad multipart");
      state.multipart_id = value == "-" ? std::string() : std::string(value);
    } else if (name == "part") {
      auto [number, rest] = field(value);
      auto [size, etag] = field(rest);
      S3Part part;
      part.etag = std::string(etag);
      if (!parse_number(number, part.number) || !parse_number(size, part.size) ||
          part.etag.empty() || part.number != static_cast<int>(state.parts.size()) + 1) {
        return corrupt("bad part");
      }
      state.parts.push_back(std::move(part));
    } else if (name == "segment") {
      auto [offset, length] = field(value);
      S3Segment segment;
      if (!parse_number(offset, segment.offset) || !parse_number(length, segment.length)) {
        return corrupt("bad segment");
      }
      state.segments.push_back(segment);
    } else {
      return corrupt("unknown field");
    }
  }
  if (!have_size || !have_hash || !have_started) return corrupt("missing field");
  if (!state.parts.empty() && state.multipart_id.empty()) return corrupt("parts without upload");
  // Parts then segments must tile [0, size) exactly.
  std::uint64_t at = state.parts_size();
  for (const S3Segment& segment : state.segments) {
    if (segment.offset != at || segment.length == 0) return corrupt("segments do not tile");
    at += segment.length;
  }
  if (at != state.size) return corrupt("parts and segments do not add up to size");
  if (state.sha256.bytes_hashed() != state.size) return corrupt("hash state does not match size");
  return state;
}

}  // namespace berth::storage::blob::s3
