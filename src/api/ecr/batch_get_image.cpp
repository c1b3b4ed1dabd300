// BatchGetImage: up to 100 image identifiers pulled from one repository,
// with per-item failures, the exact stored manifest bytes, and manifest
// translation for acceptedMediaTypes when an image is pulled by tag. An
// archived image (or one being restored) is a failure with the model's
// ImageInaccessible code.
//
// The whole operation runs on the blocking pool, the access decision
// included: it is a sequence of store reads with nothing to wait for in
// between.
#include <boost/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "api/ecr/image_ids.hpp"
#include "api/ecr/image_operations.hpp"
#include "api/ecr/manifest_translation.hpp"
#include "http/offload.hpp"
#include "oci/reference.hpp"
#include "util/time.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

struct PullScope {
  EcrContext& ctx;
  registry::RepositoryRef repo;
  registry::RepositoryRecord record;
  std::string registry_id;
  std::vector<std::string> accepted;  // empty: acceptedMediaTypes omitted
};

// One identifier's outcome: an `images` entry, or a per-item failure, or an
// error that fails the whole call (the store is unavailable, the
// repository vanished meanwhile).
using Pulled = std::expected<json::object, std::variant<ImageFailure, Error>>;

using PullError = std::variant<ImageFailure, Error>;

std::unexpected<PullError> item_failure(const ImageId& id, std::string_view code,
                                        std::string reason) {
  return std::unexpected(PullError(image_failure(id, code, reason)));
}

std::unexpected<PullError> call_failure(Error error) {
  return std::unexpected(PullError(std::move(error)));
}

Pulled pull_one(PullScope& scope, const CheckedImageId& id) {
  // With a tag the tag is resolved first; a digest given alongside must
  // agree with it, and the pair then counts as a pull by digest (no
  // translation), as ECR documents.
  const oci::Reference reference = id.tag ? oci::Reference::of_tag(*id.tag)
                                          : oci::Reference::of_digest(*id.digest);
  auto stored = scope.ctx.registry.pull_manifest(scope.record, reference, /*record_pull=*/false);
  if (!stored) {
    if (stored.error().code == ErrorCode::kManifestNotFound) {
      return item_failure(id.raw, kImageNotFound, std::string(kImageNotFoundReason));
    }
    // Archived (or being restored): a per-image failure, never the call's.
    if (stored.error().code == ErrorCode::kImageArchived) {
      return item_failure(id.raw, kImageInaccessible, stored.error().message);
    }
    return call_failure(std::move(stored).error());
  }
  if (id.tag && id.digest && stored->digest != *id.digest) {
    return item_failure(id.raw, kImageTagDoesNotMatchDigest,
                        std::string(kImageTagDoesNotMatchDigestReason));
  }
  const bool by_tag = id.tag && !id.digest;
  auto served = negotiate_manifest(stored->content, stored->media_type, stored->digest,
                                   scope.accepted, by_tag);
  if (!served) {
    if (served.error().code == ErrorCode::kUnsupported) {
      return item_failure(id.raw, kImageNotFound,
                          std::string(kImageNotFoundReason) + ": " + served.error().message);
    }
    return call_failure(std::move(served).error());
  }
  // The pull happened: note it on the stored image (a translation is a
  // view of it). A failed note must not fail the pull.
  scope.ctx.registry.record_pull(scope.record, stored->digest);

  json::object image;
  image["registryId"] = scope.registry_id;
  image["repositoryName"] = scope.repo.name;
  image["imageId"] = image_id_json(served->digest, id.tag.value_or(""));
  image["imageManifest"] = std::move(served->content);
  image["imageManifestMediaType"] = std::move(served->media_type);
  return image;
}

EcrResult batch_get_image(EcrContext& ctx, const json::object& input) {
  const std::string name(string_member(input, "repositoryName").value_or(""));
  PullScope scope{ctx, repository_ref(ctx, input, name), {}, registry_id(ctx, input), {}};
  // The decision reads the repository: the pull uses that read.
  std::optional<registry::RepositoryRecord> known;
  if (Status allowed = ctx.authorize_deferred(known); !allowed) {
    return std::unexpected(to_ecr_failure(allowed.error()));
  }
  if (known) {
    scope.record = std::move(*known);
  } else {
    auto record = ctx.registry.repository(scope.repo);
    if (!record) return std::unexpected(to_ecr_failure(record.error(), scope.registry_id, name));
    scope.record = std::move(*record);
  }
  if (const json::value* types = input.if_contains("acceptedMediaTypes");
      types != nullptr && types->is_array()) {
    for (const json::value& t : types->get_array()) {
      if (t.is_string()) scope.accepted.emplace_back(t.get_string());
    }
  }

  json::array images;
  json::array failures;
  for (const ImageId& raw : read_image_ids(input.if_contains("imageIds"))) {
    auto checked = check_image_id(raw);
    if (!checked) {
      failures.push_back(image_failure_json(checked.error()));
      continue;
    }
    Pulled pulled = pull_one(scope, *checked);
    if (pulled) {
      images.push_back(std::move(*pulled));
    } else if (auto* failure = std::get_if<ImageFailure>(&pulled.error())) {
      failures.push_back(image_failure_json(*failure));
    } else {
      return std::unexpected(
          to_ecr_failure(std::get<Error>(pulled.error()), scope.registry_id, name));
    }
  }
  json::object output;
  output["images"] = std::move(images);
  output["failures"] = std::move(failures);
  return output;
}

}  // namespace

boost::asio::awaitable<EcrResult> BatchGetImage(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] {
    return in_one_snapshot(ctx, [&] { return batch_get_image(ctx, input); });
  });
}

}  // namespace berth::api::ecr
