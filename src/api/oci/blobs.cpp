// GET/HEAD/DELETE /v2/<name>/blobs/<digest>.
#include <memory>
#include <string>
#include <utility>

#include "api/oci/errors.hpp"
#include "api/oci/handlers.hpp"
#include "api/oci/ranges.hpp"
#include "api/oci/responses.hpp"
#include "http/offload.hpp"
#include "oci/digest.hpp"

namespace berth::api::oci {

namespace {

using Status = http::beast_http::status;
using Field = http::beast_http::field;
using storage::blob::BlobReader;

constexpr std::string_view kImmutableCacheControl = "max-age=31536000";

// Reads exactly `length` bytes from `reader` (a backend without a file
// descriptor; blocking).
Result<std::string> read_exactly(BlobReader& reader, std::uint64_t length) {
  std::string out;
  out.resize(length);
  std::uint64_t filled = 0;
  while (filled < length) {
    Result<std::size_t> n = reader.read(std::span<char>(out.data() + filled, length - filled));
    if (!n) return std::unexpected(std::move(n).error());
    if (*n == 0) return fail(ErrorCode::kCorruption, "blob is shorter than its recorded size");
    filled += *n;
  }
  return out;
}

}  // namespace

HandlerResult get_blob(const HandlerContext& ctx, const RouteMatch& route,
                       http::Request& request, bool head) {
  Result<berth::oci::Digest> digest = berth::oci::Digest::parse(route.tail);
  if (!digest) co_return std::unexpected(std::move(digest).error());
  const registry::RepositoryRef repo = ctx.repository(route.name);

  Result<storage::blob::BlobInfo> info = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.stat_blob(repo, *digest); });
  if (!info) co_return std::unexpected(std::move(info).error());
  const std::uint64_t size = info->size;
  const std::string etag = digest_etag(info->digest);

  http::Response response(Status::ok);
  response.headers.set(kContentDigestHeader, info->digest.str());
  response.headers.set(Field::etag, etag);
  response.headers.set(Field::cache_control, kImmutableCacheControl);

  if (const std::string_view inm = request.header("If-None-Match");
      !inm.empty() && if_none_match_hits(inm, etag)) {
    response.status = Status::not_modified;
    co_return response;
  }

  response.headers.set(Field::content_type, kOctetStreamType);
  response.headers.set(Field::accept_ranges, "bytes");
  if (head) {
    response.head_content_length = size;
    co_return response;
  }

  ByteRange range{0, size == 0 ? 0 : size - 1};
  std::uint64_t length = size;
  if (const std::string_view header = request.header("Range"); !header.empty()) {
    const RangeSelection selection = select_range(header, size);
    if (selection.kind == RangeKind::kUnsatisfiable) {
      http::Response refused = error_response(
          Error{ErrorCode::kRangeInvalid, "requested range not satisfiable", std::string(header)});
      refused.headers.set(Field::content_range, unsatisfied_range_value(size));
      refused.headers.set(Field::accept_ranges, "bytes");
      co_return refused;
    }
    if (selection.kind == RangeKind::kPartial) {
      range = selection.range;
      length = range.length();
      response.status = Status::partial_content;
      response.headers.set(Field::content_range, content_range_value(range, size));
    }
  }
  if (length == 0) co_return response;

  Result<std::unique_ptr<BlobReader>> reader = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.open_blob(repo, *digest, range.first); });
  if (!reader) co_return std::unexpected(std::move(reader).error());

  if (const int fd = (*reader)->native_handle(); fd >= 0) {
    http::FileRange file;
    file.fd = fd;
    file.offset = range.first;
    file.length = length;
    file.owner = std::shared_ptr<BlobReader>(std::move(*reader));
    response.file = std::move(file);
    co_return response;
  }
  // No descriptor (memory backend): read the range into the body.
  Result<std::string> bytes = co_await http::offload(
      ctx.blocking, [&] { return read_exactly(**reader, length); });
  if (!bytes) co_return std::unexpected(std::move(bytes).error());
  response.body = std::move(*bytes);
  co_return response;
}

HandlerResult delete_blob(const HandlerContext& ctx, const RouteMatch& route,
                          http::Request& request) {
  Result<berth::oci::Digest> digest = berth::oci::Digest::parse(route.tail);
  if (!digest) co_return std::unexpected(std::move(digest).error());
  const registry::RepositoryRef repo = ctx.repository(route.name);
  berth::Status deleted = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.delete_blob(repo, *digest); });
  if (!deleted) co_return std::unexpected(std::move(deleted).error());
  http::Response response(Status::accepted);
  response.headers.set(kContentDigestHeader, digest->str());
  co_return response;
}

}  // namespace berth::api::oci
