// Blob uploads: POST /v2/<name>/blobs/uploads/ (session start, monolithic
// push with ?digest=, cross-repository mount with ?mount=&from=), and
// PATCH/PUT/GET/DELETE /v2/<name>/blobs/uploads/<id>.
//
// Requests that write into an upload (PATCH, PUT, POST ?digest=) each hold a
// slot of options.upload_limit while they run; with none free they are
// answered 429 TOOMANYREQUESTS (with Retry-After) before anything is read.
//
// Request bodies stream from the connection into the Registry's
// UploadSession, which hashes and writes on its blocking pool while the next
// piece arrives; the other Registry calls run on the blocking pool through
// http::offload.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/oci/errors.hpp"
#include "http/concurrency_limit.hpp"
#include "api/oci/handlers.hpp"
#include "api/oci/ranges.hpp"
#include "api/oci/responses.hpp"
#include "http/offload.hpp"
#include "oci/digest.hpp"
#include "oci/reference.hpp"
#include "registry/account_settings.hpp"

namespace berth::api::oci {

namespace {

using Status = http::beast_http::status;
using Field = http::beast_http::field;

constexpr std::size_t kChunkSize = 256 * 1024;
constexpr std::size_t kMaxUploadIdLength = 128;

// Upload ids are whatever the Registry issued; anything else cannot name an
// upload (and must not reach a path), so it is simply unknown.
berth::Status validate_upload_id(std::string_view id) {
  const bool well_formed =
      !id.empty() && id.size() <= kMaxUploadIdLength &&
      std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
      });
  if (!well_formed) return fail(ErrorCode::kUploadNotFound, "blob upload unknown", std::string(id));
  return ok();
}

// The request body as the Registry's byte source.
class RequestBodySource final : public registry::ByteSource {
 public:
  explicit RequestBodySource(http::Request& request) : request_(request) {}
  boost::asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) override {
    if (request_.body == nullptr) co_return std::size_t{0};
    co_return co_await request_.body->read_some(out);
  }

 private:
  http::Request& request_;
};

using UploadSlot = std::optional<http::ConcurrencyLimit::Permit>;

// A slot for writing into an upload; nullopt when the process is at its
// limit. Without a configured limit every request gets an empty permit.
UploadSlot upload_slot(const HandlerContext& ctx) {
  if (!ctx.options.upload_limit) return http::ConcurrencyLimit::Permit{};
  return ctx.options.upload_limit->try_acquire();
}

http::Response too_many_uploads(const HandlerContext& ctx) {
  http::Response response(Status::too_many_requests);
  response.headers.set(Field::content_type, "application/json");
  response.headers.set(Field::retry_after, "1");
  response.body = error_body(
      "TOOMANYREQUESTS", "too many uploads in progress on this server; retry later",
      "at most " + std::to_string(ctx.options.upload_limit->max()) + " at once");
  return response;
}

void set_upload_headers(http::Response& response, std::string_view name, std::string_view id,
                        std::uint64_t size) {
  response.headers.set(Field::location, upload_path(name, id));
  response.headers.set(Field::range, upload_range_value(size));
  response.headers.set(kUploadUuidHeader, id);
  response.headers.set(kUploadSessionHeader, id);
}

http::Response upload_response(Status status, std::string_view name, std::string_view id,
                               std::uint64_t size) {
  http::Response response(status);
  set_upload_headers(response, name, id, size);
  return response;
}

// 416 telling the client where the upload stands.
http::Response range_refused(std::string message, std::string_view name, std::string_view id,
                             std::uint64_t size) {
  http::Response response =
      error_response(Error{ErrorCode::kRangeInvalid, std::move(message), {}});
  set_upload_headers(response, name, id, size);
  return response;
}

http::Response blob_created(std::string_view name, const registry::BlobInfo& info) {
  http::Response response(Status::created);
  response.headers.set(Field::location, blob_path(name, info.digest));
  response.headers.set(kContentDigestHeader, info.digest.str());
  return response;
}

// The chunk an optional Content-Range announces, checked against where the
// upload stands and the body's Content-Length. nullopt + message on refusal.
struct ChunkCheck {
  std::optional<ByteRange> range;  // absent when no Content-Range was sent
  std::string refusal;             // non-empty: answer 416
};

ChunkCheck check_chunk(const http::Request& request, std::uint64_t current_size) {
  ChunkCheck check;
  const std::string_view header = request.header("Content-Range");
  if (header.empty()) return check;
  check.range = parse_content_range(header);
  if (!check.range) {
    check.refusal = "malformed Content-Range (expected <start>-<end>)";
  } else if (check.range->first != current_size) {
    check.refusal = "chunk must start at byte " + std::to_string(current_size);
  } else if (const auto length = request.body ? request.body->content_length() : std::nullopt;
             length && *length != check.range->length()) {
    check.refusal = "Content-Range length does not match Content-Length";
  }
  return check;
}

// Checks the chunk's optional Content-Range, then streams the body into the
// upload. On refusal or failure the answer (a 416 with the upload's state,
// or the error) is returned, and dropping the session forgets what this
// request appended; nullopt when the chunk was received.
boost::asio::awaitable<std::optional<Result<http::Response>>> receive_chunk(
    const RouteMatch& route, http::Request& request, registry::UploadSession& session) {
  const std::uint64_t saved_size = session.size();
  const ChunkCheck chunk = check_chunk(request, saved_size);
  if (!chunk.refusal.empty()) {
    co_await session.release();
    co_return Result<http::Response>(range_refused(chunk.refusal, route.name, route.tail, saved_size));
  }
  RequestBodySource body(request);
  Result<std::uint64_t> streamed = co_await session.append(body);  // releases on error
  if (!streamed) co_return Result<http::Response>(std::unexpected(std::move(streamed).error()));
  if (chunk.range && *streamed != chunk.range->length()) {
    co_await session.release();
    co_return Result<http::Response>(range_refused("body length does not match Content-Range",
                                                   route.name, route.tail, saved_size));
  }
  co_return std::nullopt;
}

// Opens the upload for this request. An upload another request is writing
// answers 416 with where it stands, like any chunk that cannot be taken.
boost::asio::awaitable<Result<std::unique_ptr<registry::UploadSession>>> open_session(
    const HandlerContext& ctx, const RouteMatch& route, http::Response& refusal) {
  const registry::RepositoryRef repo = ctx.repository(route.name);
  auto session = co_await ctx.registry.open_upload(repo, route.tail);
  if (!session && session.error().code == ErrorCode::kRangeInvalid) {
    Result<registry::UploadStatus> status = co_await http::offload(
        ctx.blocking, [&] { return ctx.registry.upload_status(repo, route.tail); });
    refusal = range_refused("another request is writing to this upload", route.name, route.tail,
                            status ? status->size : 0);
  }
  co_return session;
}

Result<berth::oci::Digest> digest_param(const http::Request& request) {
  const auto text = request.query_param("digest");
  if (!text) return fail(ErrorCode::kDigestInvalid, "the digest query parameter is required");
  return berth::oci::Digest::parse(*text);
}

// Whether a failed mount should fall back to a fresh upload session (the
// spec's behaviour for unknown or invalid mount arguments).
bool mount_falls_back(const Error& error) {
  switch (error.code) {
    case ErrorCode::kBlobNotFound:
    case ErrorCode::kRepositoryNotFound:
    case ErrorCode::kNameInvalid:
    case ErrorCode::kDigestInvalid:
    case ErrorCode::kDenied:
      return true;
    default:
      return false;
  }
}

// Tries ?mount=<digest>&from=<repo>, unless the registry's BLOB_MOUNTING
// account setting is DISABLED; nullopt means "start an upload instead".
boost::asio::awaitable<std::optional<Result<http::Response>>> try_mount(
    const HandlerContext& ctx, const RouteMatch& route, const http::Request& request) {
  const auto mount = request.query_param("mount");
  const auto from = request.query_param("from");
  if (!mount || !from) co_return std::nullopt;
  Result<berth::oci::Digest> digest = berth::oci::Digest::parse(*mount);
  if (!digest || !berth::oci::validate_repository_name(*from)) co_return std::nullopt;
  const registry::RepositoryRef repo = ctx.repository(route.name);
  const registry::RepositoryRef source = ctx.repository(*from);
  // One blocking call reads the setting and mounts; nullopt: mounting is off.
  std::optional<Result<registry::BlobInfo>> attempt = co_await http::offload(
      ctx.blocking, [&]() -> std::optional<Result<registry::BlobInfo>> {
        Result<std::string> settings = ctx.registry.registry_settings(repo.registry);
        if (!settings) {
          return Result<registry::BlobInfo>(std::unexpected(std::move(settings).error()));
        }
        // PutAccountSetting BLOB_MOUNTING=DISABLED: as ECR, the client uploads.
        if (registry::account_setting(*settings, registry::kBlobMounting) != "ENABLED") {
          return std::nullopt;
        }
        return ctx.registry.mount_blob(repo, source, *digest);
      });
  if (!attempt) co_return std::nullopt;
  Result<registry::BlobInfo>& mounted = *attempt;
  if (mounted) co_return Result<http::Response>(blob_created(route.name, *mounted));
  if (mount_falls_back(mounted.error())) co_return std::nullopt;
  co_return Result<http::Response>(std::unexpected(std::move(mounted).error()));
}

// Streams the body into a fresh upload and commits it (POST ?digest=).
HandlerResult monolithic_upload(const HandlerContext& ctx, const RouteMatch& route,
                                http::Request& request, const berth::oci::Digest& digest) {
  const registry::RepositoryRef repo = ctx.repository(route.name);
  auto session = co_await ctx.registry.begin_upload_session(repo);
  if (!session) co_return std::unexpected(std::move(session).error());
  const std::string id = (*session)->id();
  RequestBodySource body(request);
  Result<std::uint64_t> streamed = co_await (*session)->append(body);  // releases on error
  if (!streamed) {
    // Best effort: nobody knows this upload's id, so do not leave it behind.
    co_await http::offload(ctx.blocking, [&] { return ctx.registry.cancel_upload(repo, id); });
    co_return std::unexpected(std::move(streamed).error());
  }
  Result<registry::BlobInfo> info = co_await (*session)->commit(digest);
  if (!info) co_return std::unexpected(std::move(info).error());
  co_return blob_created(route.name, *info);
}

// ?digest-algorithm= names the algorithm the client will use: berth takes
// every digest it can verify (sha256, sha512) and refuses others up front.
berth::Status check_digest_algorithm(const http::Request& request) {
  const auto algorithm = request.query_param("digest-algorithm");
  if (!algorithm || *algorithm == "sha256" || *algorithm == "sha512") return ok();
  return fail(ErrorCode::kDigestInvalid, "unsupported digest algorithm", std::string(*algorithm));
}

}  // namespace

HandlerResult start_upload(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request) {
  if (auto mounted = co_await try_mount(ctx, route, request)) co_return std::move(*mounted);
  if (berth::Status algorithm = check_digest_algorithm(request); !algorithm) {
    co_return std::unexpected(std::move(algorithm).error());
  }

  std::optional<berth::oci::Digest> digest;
  if (request.query_param("digest")) {
    Result<berth::oci::Digest> parsed = digest_param(request);
    if (!parsed) co_return std::unexpected(std::move(parsed).error());
    digest = std::move(*parsed);
  }
  if (digest) {
    // Claimed before the upload exists, so a refusal leaves nothing behind.
    UploadSlot slot = upload_slot(ctx);
    if (!slot) co_return too_many_uploads(ctx);
    co_return co_await monolithic_upload(ctx, route, request, *digest);
  }
  const registry::RepositoryRef repo = ctx.repository(route.name);
  Result<registry::UploadStatus> upload = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.begin_upload(repo); });
  if (!upload) co_return std::unexpected(std::move(upload).error());
  co_return upload_response(Status::accepted, route.name, upload->id, upload->size);
}

HandlerResult patch_upload(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request) {
  if (berth::Status valid = validate_upload_id(route.tail); !valid) {
    co_return std::unexpected(std::move(valid).error());
  }
  UploadSlot slot = upload_slot(ctx);
  if (!slot) co_return too_many_uploads(ctx);
  http::Response refusal;
  auto session = co_await open_session(ctx, route, refusal);
  if (!session) {
    if (session.error().code == ErrorCode::kRangeInvalid) co_return refusal;
    co_return std::unexpected(std::move(session).error());
  }
  if (auto refused = co_await receive_chunk(route, request, **session)) {
    co_return std::move(*refused);
  }
  Result<registry::UploadStatus> status = co_await (*session)->save();
  if (!status) co_return std::unexpected(std::move(status).error());
  co_return upload_response(Status::accepted, route.name, status->id, status->size);
}

HandlerResult put_upload(const HandlerContext& ctx, const RouteMatch& route,
                         http::Request& request) {
  if (berth::Status valid = validate_upload_id(route.tail); !valid) {
    co_return std::unexpected(std::move(valid).error());
  }
  Result<berth::oci::Digest> digest = digest_param(request);
  if (!digest) co_return std::unexpected(std::move(digest).error());
  UploadSlot slot = upload_slot(ctx);
  if (!slot) co_return too_many_uploads(ctx);
  http::Response refusal;
  auto session = co_await open_session(ctx, route, refusal);
  if (!session) {
    if (session.error().code == ErrorCode::kRangeInvalid) co_return refusal;
    co_return std::unexpected(std::move(session).error());
  }
  if (auto refused = co_await receive_chunk(route, request, **session)) {
    co_return std::move(*refused);
  }
  Result<registry::BlobInfo> info = co_await (*session)->commit(*digest);
  if (!info) co_return std::unexpected(std::move(info).error());
  co_return blob_created(route.name, *info);
}

HandlerResult get_upload(const HandlerContext& ctx, const RouteMatch& route,
                         http::Request& request) {
  if (berth::Status valid = validate_upload_id(route.tail); !valid) {
    co_return std::unexpected(std::move(valid).error());
  }
  const registry::RepositoryRef repo = ctx.repository(route.name);
  Result<registry::UploadStatus> status = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.upload_status(repo, route.tail); });
  if (!status) co_return std::unexpected(std::move(status).error());
  co_return upload_response(Status::no_content, route.name, status->id, status->size);
}

HandlerResult delete_upload(const HandlerContext& ctx, const RouteMatch& route,
                            http::Request& request) {
  if (berth::Status valid = validate_upload_id(route.tail); !valid) {
    co_return std::unexpected(std::move(valid).error());
  }
  const registry::RepositoryRef repo = ctx.repository(route.name);
  berth::Status cancelled = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.cancel_upload(repo, route.tail); });
  if (!cancelled) co_return std::unexpected(std::move(cancelled).error());
  co_return http::Response(Status::no_content);
}

}  // namespace berth::api::oci
