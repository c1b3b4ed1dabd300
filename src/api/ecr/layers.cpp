// The ECR layer API: InitiateLayerUpload, UploadLayerPart,
// CompleteLayerUpload (one upload = one blob, parts appended strictly in
// order into the Registry's upload session, so an upload begun here is the
// same kind of object an OCI chunked upload is), and GetDownloadUrlForLayer.
//
// Parts arrive base64 inside the JSON body (at most 20 MiB decoded, checked
// by the model); each operation runs whole on the blocking pool, where the
// part is appended and the upload's state saved.
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
using storage::blob::BlobWriter;

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

// A writer checked out of the Registry; handed back unsaved on every path
// that does not check it in or finish it.
class HeldWriter {
 public:
  HeldWriter(registry::Registry& registry, std::unique_ptr<BlobWriter> writer)
      : registry_(registry), writer_(std::move(writer)) {}
  HeldWriter(const HeldWriter&) = delete;
  HeldWriter& operator=(const HeldWriter&) = delete;
  ~HeldWriter() {
    if (writer_) registry_.release_upload(std::move(writer_));
  }
  BlobWriter* operator->() const { return writer_.get(); }
  std::unique_ptr<BlobWriter> take() { return std::move(writer_); }

 private:
  registry::Registry& registry_;
  std::unique_ptr<BlobWriter> writer_;
};

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

EcrResult upload_layer_part(EcrContext& ctx, const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  const Target& t = *target;
  const std::string upload_id(string_member(input, "uploadId").value_or(""));
  const std::int64_t first = int64_member(input, "partFirstByte");
  const std::int64_t last = int64_member(input, "partLastByte");
  auto part = base64_decode(string_member(input, "layerPartBlob").value_or(""));
  if (!part) {
    return failure(t, Error{ErrorCode::kInvalidArgument,
                            "Invalid parameter at 'layerPartBlob' failed to satisfy constraint: "
                            "'must be base64'",
                            "InvalidParameterException"});
  }

  auto checked_out = ctx.registry.checkout_upload(t.repo, upload_id);
  if (!checked_out) {
    if (checked_out.error().code == ErrorCode::kRangeInvalid) {
      // Another part of this upload is being written right now.
      auto status = ctx.registry.upload_status(t.repo, upload_id);
      return invalid_layer_part(t, upload_id, status ? status->size : 0,
                                "another part of this upload is being uploaded");
    }
    return failure(t, checked_out.error());
  }
  HeldWriter writer(ctx.registry, std::move(*checked_out));
  const std::uint64_t received = writer->size();

  if (first < 0 || static_cast<std::uint64_t>(first) != received) {
    return invalid_layer_part(t, upload_id, received,
                              "The layer part's first byte " + std::to_string(first) +
                                  " is not consecutive to the last byte received, " +
                                  std::to_string(static_cast<std::int64_t>(received) - 1));
  }
  if (part->empty() || last < first ||
      static_cast<std::uint64_t>(last - first) + 1 != part->size()) {
    return invalid_layer_part(t, upload_id, received,
                              "The layer part holds " + std::to_string(part->size()) +
                                  " bytes, but partFirstByte " + std::to_string(first) +
                                  " and partLastByte " + std::to_string(last) + " span " +
                                  std::to_string(last >= first ? last - first + 1 : 0));
  }
  if (auto appended = writer->append(std::span<const char>(part->data(), part->size()));
      !appended) {
    return failure(t, appended.error());
  }
  auto status = ctx.registry.checkin_upload(writer.take());
  if (!status) return failure(t, status.error());

  json::object output;
  output["registryId"] = t.registry_id;
  output["repositoryName"] = t.name;
  output["uploadId"] = upload_id;
  output["lastByteReceived"] = static_cast<std::int64_t>(status->size) - 1;
  return output;
}

// ---- CompleteLayerUpload ----

EcrResult complete_layer_upload(EcrContext& ctx, const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  const Target& t = *target;
  const std::string upload_id(string_member(input, "uploadId").value_or(""));

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

  auto existing = ctx.registry.stat_blob(t.repo, *digest);
  if (!existing && existing.error().code != ErrorCode::kBlobNotFound) {
    return failure(t, existing.error());
  }
  auto checked_out = ctx.registry.checkout_upload(t.repo, upload_id);
  if (!checked_out) return failure(t, checked_out.error());
  HeldWriter writer(ctx.registry, std::move(*checked_out));
  if (writer->size() == 0) {
    return ecr_fail("EmptyUploadException", "The upload with id '" + upload_id +
                                                "' does not contain any layer parts");
  }
  auto computed = writer->current_digest(digest->algorithm());
  auto finished = ctx.registry.finish_upload(t.repo, writer.take(), *digest);
  if (!finished) {
    if (finished.error().code == ErrorCode::kDigestMismatch) {
      return ecr_fail("InvalidLayerException",
                      "The layer digest calculated for the upload" +
                          (computed ? " ('" + computed->str() + "')" : std::string()) +
                          " does not match the digest specified ('" + digest->str() + "')");
    }
    return failure(t, finished.error());
  }
  if (existing) {
    // The upload is consumed either way: the layer is in the repository.
    return ecr_fail("LayerAlreadyExistsException",
                    "The layer with digest '" + digest->str() +
                        "' already exists in the repository with name '" + t.name +
                        "' in the registry with id '" + t.registry_id + "'");
  }
  json::object output;
  output["registryId"] = t.registry_id;
  output["repositoryName"] = t.name;
  output["uploadId"] = upload_id;
  output["layerDigest"] = finished->digest.str();
  return output;
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
  co_return co_await http::offload(ctx.blocking, [&] { return upload_layer_part(ctx, input); });
}

boost::asio::awaitable<EcrResult> CompleteLayerUpload(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] { return complete_layer_upload(ctx, input); });
}

boost::asio::awaitable<EcrResult> GetDownloadUrlForLayer(EcrContext& ctx,
                                                         const json::object& input) {
  co_return co_await http::offload(ctx.blocking,
                                   [&] { return get_download_url_for_layer(ctx, input); });
}

}  // namespace berth::api::ecr
