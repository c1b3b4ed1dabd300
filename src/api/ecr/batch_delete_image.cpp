// BatchDeleteImage: up to 100 identifiers deleted from one repository, in
// request order, with per-item failures.
//   by tag            -> the tag goes; the image goes with its last tag
//                        (Registry::untag_image);
//   by digest         -> the image and all its tags;
//   by tag and digest -> the pair must agree; then as by digest.
// A child of an index still in the repository is refused
// (ImageReferencedByManifestList). Whatever is deleted stops being
// pullable over /v2/ at once: both APIs read the same rows.
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "api/ecr/image_ids.hpp"
#include "api/ecr/image_operations.hpp"
#include "http/offload.hpp"
#include "oci/reference.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

struct DeleteScope {
  EcrContext& ctx;
  registry::RepositoryRef repo;
};

// One identifier's outcome: the identifiers deleted, a per-item failure,
// or an error that fails the whole call.
struct Deleted {
  std::vector<json::object> ids;
  std::optional<ImageFailure> failure;
};

// Maps the errors a delete can meet for one item; nullopt for errors that
// fail the whole call.
std::optional<ImageFailure> item_failure_for(const Error& error, const ImageId& id) {
  switch (error.code) {
    case ErrorCode::kManifestNotFound:
      return image_failure(id, kImageNotFound, kImageNotFoundReason);
    case ErrorCode::kReferencedByIndex:
      return image_failure(id, kImageReferencedByManifestList,
                           kImageReferencedByManifestListReason);
    default:
      return std::nullopt;
  }
}

Result<Deleted> failed_item(Error error, const ImageId& id) {
  if (auto failure = item_failure_for(error, id)) return Deleted{{}, std::move(failure)};
  return std::unexpected(std::move(error));
}

// Deletes the image `digest` with all its tags; reports one identifier per
// tag removed, or the bare digest for an untagged image.
Result<Deleted> delete_by_digest(DeleteScope& scope, const oci::Digest& digest, const ImageId& id) {
  auto tags = scope.ctx.registry.tags_of(scope.repo, digest);
  if (!tags) return failed_item(std::move(tags).error(), id);
  auto deleted = scope.ctx.registry.delete_manifest(scope.repo, oci::Reference::of_digest(digest));
  if (!deleted) return failed_item(std::move(deleted).error(), id);
  Deleted out;
  for (const std::string& tag : *tags) out.ids.push_back(image_id_json(digest, tag));
  if (tags->empty()) out.ids.push_back(image_id_json(digest));
  return out;
}

Result<Deleted> delete_one(DeleteScope& scope, const CheckedImageId& id) {
  if (!id.tag) return delete_by_digest(scope, *id.digest, id.raw);

  auto current = scope.ctx.registry.get_manifest(scope.repo, oci::Reference::of_tag(*id.tag),
                                                 /*record_pull=*/false);
  if (!current) return failed_item(std::move(current).error(), id.raw);
  if (id.digest) {
    if (current->digest != *id.digest) {
      return Deleted{{}, image_failure(id.raw, kImageTagDoesNotMatchDigest,
                                       kImageTagDoesNotMatchDigestReason)};
    }
    return delete_by_digest(scope, *id.digest, id.raw);
  }
  auto untagged = scope.ctx.registry.untag_image(scope.repo, *id.tag);
  if (!untagged) return failed_item(std::move(untagged).error(), id.raw);
  Deleted out;
  out.ids.push_back(image_id_json(current->digest, *id.tag));
  return out;
}

EcrResult batch_delete_image(EcrContext& ctx, const json::object& input) {
  const std::string name(string_member(input, "repositoryName").value_or(""));
  DeleteScope scope{ctx, repository_ref(ctx, input, name)};
  const std::string rid = registry_id(ctx, input);
  auto record = ctx.registry.repository(scope.repo);
  if (!record) return std::unexpected(to_ecr_failure(record.error(), rid, name));

  json::array deleted_ids;
  json::array failures;
  // All identifiers in one commit: one sync for the call instead of one per
  // image, and, if anything fails the call, nothing is deleted. A shared
  // store may run this more than once (MetaStore::in_one_commit): each run
  // starts from empty lists.
  Status all = ctx.registry.in_one_commit([&]() -> Status {
    deleted_ids.clear();
    failures.clear();
    for (const ImageId& raw : read_image_ids(input.if_contains("imageIds"))) {
      auto checked = check_image_id(raw);
      if (!checked) {
        failures.push_back(image_failure_json(checked.error()));
        continue;
      }
      auto deleted = BERTH_TRY(delete_one(scope, *checked));
      if (deleted.failure) failures.push_back(image_failure_json(*deleted.failure));
      for (json::object& id : deleted.ids) deleted_ids.push_back(std::move(id));
    }
    return ok();
  });
  if (!all) return std::unexpected(to_ecr_failure(all.error(), rid, name));
  json::object output;
  output["imageIds"] = std::move(deleted_ids);
  output["failures"] = std::move(failures);
  return output;
}

}  // namespace

boost::asio::awaitable<EcrResult> BatchDeleteImage(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] { return batch_delete_image(ctx, input); });
}

}  // namespace berth::api::ecr
