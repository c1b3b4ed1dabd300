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

constexpr std::string_view kImmutableCacheControl = "max-age=31536000";

}  // namespace

HandlerResult get_blob(const HandlerContext& ctx, const RouteMatch& route,
                       http::Request& request, bool head) {
  Result<berth::oci::Digest> digest = berth::oci::Digest::parse(route.tail);
  if (!digest) co_return std::unexpected(std::move(digest).error());
  const registry::RepositoryRef repo = ctx.repository(route.name);

  Result<registry::BlobInfo> info = co_await http::offload(
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

  Result<registry::BlobContent> content =
      co_await ctx.registry.read_blob(repo, *digest, range.first, length);
  if (!content) co_return std::unexpected(std::move(content).error());
  if (!content->redirect_url.empty()) {
    // The store serves the bytes itself (a presigned URL), as ECR does.
    http::Response redirect(Status::temporary_redirect);
    redirect.headers.set(Field::location, content->redirect_url);
    redirect.headers.set(kContentDigestHeader, info->digest.str());
    co_return redirect;
  }
  if (content->file) {
    response.file = http::FileRange{content->file->owner, content->file->fd,
                                    content->file->offset, content->file->length};
  } else {
    std::shared_ptr<registry::BlobStream> stream = content->stream;
    response.stream = http::StreamBody{
        [stream](std::span<char> out) { return stream->read_some(out); }, stream->length()};
  }
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
