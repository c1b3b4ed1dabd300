// The ECR layer API: InitiateLayerUpload, UploadLayerPart,
// CompleteLayerUpload (one upload = one blob, parts appended strictly in
// order into the Registry's upload session, so an upload begun here is the
// same kind of object an OCI chunked upload is), and GetDownloadUrlForLayer.
//
// Parts arrive base64 inside the JSON body (at most 20 MiB decoded, checked
// by the model). Lookups and decoding run on the blocking pool; parts go
// through the Registry's UploadSession, which does its own offloading.
#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "api/ecr/image_ids.hpp"
#include "api/ecr/image_operations.hpp"
#include "http/offload.hpp"
#include "util/base64.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

struct Target {
  std::string name;
  registry::RepositoryRef repo;
  std::string registry_id;
};

std::expected<Target, EcrFailure> resolve_target(EcrContext& ctx, const json::object& input) {
  Target t;
  t.name = std::string(string_member(input, "repositoryName").value_or(""));
  t.repo = repository_ref(ctx, input, t.name);
  t.registry_id = registry_id(ctx, input);
  auto record = ctx.registry.repository(t.repo);
  if (!record) return std::unexpected(to_ecr_failure(record.error(), t.registry_id, t.name));
  return t;
}

std::unexpected<EcrFailure> failure(const Target& t, const Error& error) {
  return std::unexpected(to_ecr_failure(error, t.registry_id, t.name));
}

std::int64_t int64_member(const json::object& input, std::string_view key) {
  const json::value* v = input.if_contains(key);
  if (v == nullptr) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return std::numeric_limits<std::int64_t>::max();  // beyond any upload
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return -1;
}

// ---- InitiateLayerUpload ----

EcrResult initiate_layer_upload(EcrContext& ctx, const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  auto upload = ctx.registry.begin_upload(target->repo);
  if (!upload) return failure(*target, upload.error());
  json::object output;
  output["uploadId"] = upload->id;
  output["partSize"] = kLayerPartSize;
  return output;
}

// ---- UploadLayerPart ----

// InvalidLayerPartException with its modelled members. `received` is the
// upload's size: lastValidByteReceived is its last byte, -1 when empty.
EcrResult invalid_layer_part(const Target& t, std::string_view upload_id, std::uint64_t received,
                             std::string message) {
  EcrFailure f{"InvalidLayerPartException", std::move(message), {}, 400};
  f.extra["registryId"] = t.registry_id;
  f.extra["repositoryName"] = t.name;
  f.extra["uploadId"] = upload_id;
  f.extra["lastValidByteReceived"] = static_cast<std::int64_t>(received) - 1;
  return std::unexpected(std::move(f));
}

// What an UploadLayerPart request asks, decoded off the I/O thread.
struct PartRequest {
  Target target;
  std::string upload_id;
  std::int64_t first = -1;
  std::int64_t last = -1;
  std::string part;
};

std::expected<PartRequest, EcrFailure> read_part_request(EcrContext& ctx,
                                                         const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  PartRequest r{std::move(*target), std::string(string_member(input, "uploadId").value_or("")),
                int64_member(input, "partFirstByte"), int64_member(input, "partLastByte"), {}};
  auto part = base64_decode(string_member(input, "layerPartBlob").value_or(""));
  if (!part) {
    return failure(r.target, Error{ErrorCode::kInvalidArgument,
                                   "Invalid parameter at 'layerPartBlob' failed to satisfy "
                                   "constraint: 'must be base64'",
                                   "InvalidParameterException"});
  }
  r.part = std::move(*part);
  return r;
}

boost::asio::awaitable<EcrResult> upload_layer_part(EcrContext& ctx, const json::object& input) {
  auto request = co_await http::offload(ctx.blocking, [&] { return read_part_request(ctx, input); });
  if (!request) co_return std::unexpected(std::move(request).error());
  const Target& t = request->target;
  const std::string& upload_id = request->upload_id;
  const std::int64_t first = request->first;
  const std::int64_t last = request->last;
  const std::string& part = request->part;

  auto session = co_await ctx.registry.open_upload(t.repo, upload_id);
  if (!session) {
    if (session.error().code == ErrorCode::kRangeInvalid) {
      // Another part of this upload is being written right now.
      auto status = co_await http::offload(
          ctx.blocking, [&] { return ctx.registry.upload_status(t.repo, upload_id); });
      co_return invalid_layer_part(t, upload_id, status ? status->size : 0,
                                   "another part of this upload is being uploaded");
    }
    co_return failure(t, session.error());
  }
  const std::uint64_t received = (*session)->size();

  if (first < 0 || static_cast<std::uint64_t>(first) != received) {
    co_await (*session)->release();
    co_return invalid_layer_part(t, upload_id, received,
                                 "The layer part's first byte " + std::to_string(first) +
                                     " is not consecutive to the last byte received, " +
                                     std::to_string(static_cast<std::int64_t>(received) - 1));
  }
  if (part.empty() || last < first ||
      static_cast<std::uint64_t>(last - first) + 1 != part.size()) {
    co_await (*session)->release();
    co_return invalid_layer_part(t, upload_id, received,
                                 "The layer part holds " + std::to_string(part.size()) +
                                     " bytes, but partFirstByte " + std::to_string(first) +
                                     " and partLastByte " + std::to_string(last) + " span " +
                                     std::to_string(last >= first ? last - first + 1 : 0));
  }
  berth::Status appended =
      co_await (*session)->append(std::span<const char>(part.data(), part.size()));
  if (!appended) co_return failure(t, appended.error());
  Result<registry::UploadStatus> status = co_await (*session)->save();
  if (!status) co_return failure(t, status.error());

  json::object output;
  output["registryId"] = t.registry_id;
  output["repositoryName"] = t.name;
  output["uploadId"] = upload_id;
  output["lastByteReceived"] = static_cast<std::int64_t>(status->size) - 1;
  co_return output;
}

// ---- CompleteLayerUpload ----

// The one digest CompleteLayerUpload names, and whether the layer is already
// in the repository.
struct CompleteRequest {
  Target target;
  std::string upload_id;
  oci::Digest digest;
  bool existed = false;
};

std::expected<CompleteRequest, EcrFailure> read_complete_request(EcrContext& ctx,
                                                                 const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  CompleteRequest r{std::move(*target), std::string(string_member(input, "uploadId").value_or("")),
                    {}, false};
  const Target& t = r.target;
  std::vector<std::string> digests;
  if (const json::value* list = input.if_contains("layerDigests"); list && list->is_array()) {
    for (const json::value& d : list->get_array()) {
      if (!d.is_string()) continue;
      std::string text(d.get_string());
      if (std::find(digests.begin(), digests.end(), text) == digests.end()) digests.push_back(text);
    }
  }
  if (digests.size() != 1) {
    return failure(t, Error{ErrorCode::kInvalidArgument,
                            "Invalid parameter at 'layerDigests' failed to satisfy constraint: "
                            "'exactly one layer digest per upload is supported'",
                            "InvalidParameterException"});
  }
  auto digest = oci::Digest::parse(digests.front());
  if (!digest) return failure(t, digest.error());
  r.digest = std::move(*digest);
  auto existing = ctx.registry.stat_blob(t.repo, r.digest);
  if (!existing && existing.error().code != ErrorCode::kBlobNotFound) {
    return failure(t, existing.error());
  }
  r.existed = existing.has_value();
  return r;
}

boost::asio::awaitable<EcrResult> complete_layer_upload(EcrContext& ctx,
                                                        const json::object& input) {
  auto request =
      co_await http::offload(ctx.blocking, [&] { return read_complete_request(ctx, input); });
  if (!request) co_return std::unexpected(std::move(request).error());
  const Target& t = request->target;
  const std::string& upload_id = request->upload_id;
  const oci::Digest& digest = request->digest;

  auto session = co_await ctx.registry.open_upload(t.repo, upload_id);
  if (!session) co_return failure(t, session.error());
  if ((*session)->size() == 0) {
    co_await (*session)->release();
    co_return ecr_fail("EmptyUploadException", "The upload with id '" + upload_id +
                                                   "' does not contain any layer parts");
  }
  auto computed = co_await (*session)->current_digest(digest.algorithm());
  auto finished = co_await (*session)->commit(digest);
  if (!finished) {
    if (finished.error().code == ErrorCode::kDigestMismatch) {
      co_return ecr_fail("InvalidLayerException",
                         "The layer digest calculated for the upload" +
                             (computed ? " ('" + computed->str() + "')" : std::string()) +
                             " does not match the digest specified ('" + digest.str() + "')");
    }
    co_return failure(t, finished.error());
  }
  if (request->existed) {
    // The upload is consumed either way: the layer is in the repository.
    co_return ecr_fail("LayerAlreadyExistsException",
                       "The layer with digest '" + digest.str() +
                           "' already exists in the repository with name '" + t.name +
                           "' in the registry with id '" + t.registry_id + "'");
  }
  json::object output;
  output["registryId"] = t.registry_id;
  output["repositoryName"] = t.name;
  output["uploadId"] = upload_id;
  output["layerDigest"] = finished->digest.str();
  co_return output;
}

// ---- GetDownloadUrlForLayer ----

EcrResult get_download_url_for_layer(EcrContext& ctx, const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  const Target& t = *target;
  const std::string text(string_member(input, "layerDigest").value_or(""));
  auto not_found = [&] {
    return ecr_fail("LayersNotFoundException",
                    "The layer with digest " + text +
                        " does not exist within the repository with name '" + t.name +
                        "' in the registry with id '" + t.registry_id + "'");
  };
  auto digest = oci::Digest::parse(text);
  if (!digest) return not_found();
  auto info = ctx.registry.stat_blob(t.repo, *digest);
  if (!info) {
    if (info.error().code == ErrorCode::kBlobNotFound) return not_found();
    return failure(t, info.error());
  }
  if (!ctx.services.blob_download_url) {
    return failure(t, Error{ErrorCode::kUnavailable, "layer download URLs are not configured", ""});
  }
  json::object output;
  output["downloadUrl"] = ctx.services.blob_download_url(t.repo, *digest, kDownloadUrlTtlSeconds);
  output["layerDigest"] = digest->str();
  return output;
}

}  // namespace

boost::asio::awaitable<EcrResult> InitiateLayerUpload(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] { return initiate_layer_upload(ctx, input); });
}

boost::asio::awaitable<EcrResult> UploadLayerPart(EcrContext& ctx, const json::object& input) {
  co_return co_await upload_layer_part(ctx, input);
}

boost::asio::awaitable<EcrResult> CompleteLayerUpload(EcrContext& ctx, const json::object& input) {
  co_return co_await complete_layer_upload(ctx, input);
}

boost::asio::awaitable<EcrResult> GetDownloadUrlForLayer(EcrContext& ctx,
                                                         const json::object& input) {
  co_return co_await http::offload(ctx.blocking,
                                   [&] { return get_download_url_for_layer(ctx, input); });
}

}  // namespace berth::api::ecr
