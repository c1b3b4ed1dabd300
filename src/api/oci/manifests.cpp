// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>.
#include <string>
#include <utility>
#include <vector>

#include "api/oci/handlers.hpp"
#include "api/oci/negotiation.hpp"
#include "api/oci/responses.hpp"
#include "http/offload.hpp"
#include "oci/reference.hpp"

namespace berth::api::oci {

namespace {

using Status = http::beast_http::status;
using Field = http::beast_http::field;

std::vector<std::string_view> accept_values(const http::Request& request) {
  std::vector<std::string_view> values;
  const auto [begin, end] = request.headers.equal_range(Field::accept);
  for (auto it = begin; it != end; ++it) values.push_back(it->value());
  return values;
}

// The media type of a Content-Type value, parameters and blanks removed.
std::string_view bare_media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

Error too_large(std::uint64_t limit) {
  return Error{ErrorCode::kLimitExceeded,
               "manifest exceeds the maximum size of " + std::to_string(limit) + " bytes",
               {}};
}

}  // namespace

HandlerResult get_manifest(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request, bool head) {
  Result<berth::oci::Reference> reference = berth::oci::Reference::parse(route.tail);
  if (!reference) {
    // Refused callers learn nothing, not even that the reference is bad.
    if (ctx.deferred_authorization) {
      berth::Status allowed = co_await http::offload(ctx.blocking, [&] {
        std::optional<registry::RepositoryRecord> unused;
        return ctx.authorize_deferred(unused);
      });
      if (!allowed) co_return std::unexpected(std::move(allowed).error());
    }
    // No manifest can be stored under a tag that is not valid: the spec's
    // answer for a manifest that is not there is 404 (PUT still refuses it).
    if (reference.error().code == ErrorCode::kTagInvalid) {
      co_return std::unexpected(Error{ErrorCode::kManifestNotFound, "manifest unknown",
                                      std::string(route.tail)});
    }
    co_return std::unexpected(std::move(reference).error());
  }
  const registry::RepositoryRef repo = ctx.repository(route.name);
  // A HEAD is an existence check, not a pull; an archived image (or one
  // being restored) is 404 MANIFEST_UNKNOWN to both, as ECR answers.
  Result<registry::ManifestRecord> record =
      co_await http::offload(ctx.blocking, [&]() -> Result<registry::ManifestRecord> {
        std::optional<Result<registry::ManifestRecord>> out;
        // The decision's reads and the pull's, grouped (on SQLite, one read
        // transaction instead of three).
        BERTH_TRY_STATUS(ctx.registry.in_one_read([&]() -> berth::Status {
          // The decision reads the repository: the pull uses that read.
          std::optional<registry::RepositoryRecord> known;
          if (berth::Status allowed = ctx.authorize_deferred(known); !allowed) {
            out.emplace(std::unexpected(std::move(allowed).error()));
          } else if (known) {
            out.emplace(ctx.registry.pull_manifest(*known, *reference, !head));
          } else {
            out.emplace(ctx.registry.pull_manifest(repo, *reference, !head));
          }
          return ok();
        }));
        return std::move(*out);
      });
  if (!record) co_return std::unexpected(std::move(record).error());

  if (!accepts_manifest(parse_accept(accept_values(request)), record->media_type)) {
    co_return std::unexpected(
        Error{ErrorCode::kManifestNotFound,
              "manifest is stored as " + record->media_type +
                  ", which the request's Accept header does not allow",
              record->media_type});
  }

  http::Response response(Status::ok);
  const std::string etag = digest_etag(record->digest);
  response.headers.set(kContentDigestHeader, record->digest.str());
  response.headers.set(Field::etag, etag);
  if (const std::string_view inm = request.header("If-None-Match");
      !inm.empty() && if_none_match_hits(inm, etag)) {
    response.status = Status::not_modified;
    co_return response;
  }
  response.headers.set(Field::content_type, record->media_type);
  if (head) {
    response.head_content_length = record->content.size();
  } else {
    response.body = std::move(record->content);
  }
  co_return response;
}

HandlerResult put_manifest(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request) {
  Result<berth::oci::Reference> reference = berth::oci::Reference::parse(route.tail);
  if (!reference) co_return std::unexpected(std::move(reference).error());
  const std::uint64_t limit = ctx.options.max_manifest_size;

  std::string content;
  if (request.body != nullptr) {
    if (const auto length = request.body->content_length(); length && *length > limit) {
      co_return std::unexpected(too_large(limit));
    }
    Result<std::string> read = co_await request.body->read_all(limit);
    if (!read) {
      if (read.error().code == ErrorCode::kLimitExceeded) co_return std::unexpected(too_large(limit));
      co_return std::unexpected(std::move(read).error());
    }
    content = std::move(*read);
  }

  registry::PutManifestRequest put{std::move(*reference), std::move(content),
                                   std::string(bare_media_type(request.header("Content-Type"))),
                                   /*lenient_references=*/false};
  // PUT by digest may name tags to point at it (?tag=a&tag=b).
  for (const auto& [key, value] : request.query) {
    if (key == "tag") put.tags.push_back(value);
  }
  const registry::RepositoryRef repo = ctx.repository(route.name);
  Result<registry::PutManifestResult> stored = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.put_manifest(repo, put); });
  if (!stored) co_return std::unexpected(std::move(stored).error());

  http::Response response(Status::created);
  response.headers.set(Field::location, manifest_path(route.name, stored->digest));
  response.headers.set(kContentDigestHeader, stored->digest.str());
  if (stored->subject) response.headers.set(kSubjectHeader, stored->subject->str());
  // One OCI-Tag per tag applied, as the spec asks when ?tag= was used.
  if (!put.tags.empty()) {
    for (const std::string& tag : stored->tags) response.headers.insert(kTagHeader, tag);
  }
  co_return response;
}

HandlerResult delete_manifest(const HandlerContext& ctx, const RouteMatch& route,
                              http::Request& request) {
  Result<berth::oci::Reference> reference = berth::oci::Reference::parse(route.tail);
  if (!reference) co_return std::unexpected(std::move(reference).error());
  const registry::RepositoryRef repo = ctx.repository(route.name);
  berth::Status deleted = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.delete_manifest(repo, *reference); });
  if (!deleted) co_return std::unexpected(std::move(deleted).error());
  co_return http::Response(Status::accepted);
}

}  // namespace berth::api::oci
