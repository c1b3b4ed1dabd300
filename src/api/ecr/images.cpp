// The image lifecycle over the ECR API: PutImage (store a manifest, byte
// exact, optionally under a tag), DescribeImages (image details from the
// store's records) and ListImages (identifiers, one per tag), the two
// listings paginated with keyset tokens (pagination.hpp). The listings
// show ACTIVE images unless their imageStatus filter asks for ARCHIVED,
// ACTIVATING or ANY (registry/image_status.hpp); DescribeImages by imageIds
// describes an image whatever its status. Re-pushing an archived image
// with PutImage restores it.
//
// Each operation runs whole on the blocking pool.
#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "api/ecr/image_ids.hpp"
#include "api/ecr/image_operations.hpp"
#include "api/ecr/pagination.hpp"
#include "crypto/hasher.hpp"
#include "http/offload.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/reference.hpp"
#include "registry/image_status.hpp"
#include "registry/manifest_facts.hpp"
#include "util/time.hpp"

namespace berth::api::ecr {

namespace json = boost::json;
using registry::ManifestRecord;
using registry::ManifestSummary;

namespace {

// What a request addresses, resolved once per call.
struct Target {
  std::string name;
  registry::RepositoryRef repo;
  std::string registry_id;
  registry::RepositoryRecord record;
};

std::expected<Target, EcrFailure> resolve_target(EcrContext& ctx, const json::object& input) {
  Target t;
  t.name = std::string(string_member(input, "repositoryName").value_or(""));
  t.repo = repository_ref(ctx, input, t.name);
  t.registry_id = registry_id(ctx, input);
  auto record = ctx.registry.repository(t.repo);
  if (!record) return std::unexpected(to_ecr_failure(record.error(), t.registry_id, t.name));
  t.record = std::move(*record);
  return t;
}

std::unexpected<EcrFailure> invalid_parameter(const Target& t, std::string message) {
  return std::unexpected(to_ecr_failure(
      Error{ErrorCode::kInvalidArgument, std::move(message), "InvalidParameterException"},
      t.registry_id, t.name));
}

std::string in_repository(const Target& t) {
  return "in the repository with name '" + t.name + "' in registry with id '" + t.registry_id +
         "'";
}

double epoch_seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// ---- PutImage ----

constexpr std::string_view kInvalidJsonMessage =
    "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'";
constexpr std::string_view kNoMediaTypeMessage =
    "image manifest mediatype not provided in manifest or parameter";

// ECR needs the manifest's media type from its body or from
// imageManifestMediaType: a body that is not JSON is "Invalid JSON syntax",
// valid JSON with neither is its own InvalidParameterException.
Status check_media_type_known(std::string_view manifest, bool declared) {
  boost::system::error_code ec;
  json::value body = json::parse(manifest, ec);
  if (ec || !body.is_object()) return fail(ErrorCode::kInvalidArgument, std::string(kInvalidJsonMessage));
  const json::value* type = body.get_object().if_contains("mediaType");
  const bool in_body = type != nullptr && type->is_string() && !type->get_string().empty();
  if (!in_body && !declared) return fail(ErrorCode::kInvalidArgument, std::string(kNoMediaTypeMessage));
  return ok();
}

EcrResult image_already_exists(const Target& t, const oci::Digest& digest,
                               const std::optional<std::string>& tag) {
  std::string message = "Image with digest '" + digest.str() + "'";
  if (tag) message += " and tag '" + *tag + "'";
  return ecr_fail("ImageAlreadyExistsException", message + " already exists " + in_repository(t));
}

EcrResult tag_already_exists(const Target& t, std::string_view tag) {
  return ecr_fail("ImageTagAlreadyExistsException",
                  "The image tag '" + std::string(tag) + "' already exists in the '" + t.name +
                      "' repository and cannot be overwritten because the tag is immutable.");
}

EcrResult put_image(EcrContext& ctx, const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  const Target& t = *target;
  const std::string manifest(string_member(input, "imageManifest").value_or(""));
  const auto declared_type = string_member(input, "imageManifestMediaType");
  const auto tag_member = string_member(input, "imageTag");
  const std::optional<std::string> tag =
      tag_member ? std::optional<std::string>(*tag_member) : std::nullopt;

  if (auto known = check_media_type_known(manifest, declared_type.has_value()); !known) {
    return invalid_parameter(t, known.error().message);
  }
  auto parsed = oci::parse_manifest(manifest, declared_type.value_or(""));
  if (!parsed) return std::unexpected(to_ecr_failure(parsed.error(), t.registry_id, t.name));
  if (tag) {
    // The model allows 300 characters; berth keeps tags pullable over /v2/.
    if (auto valid = oci::validate_tag(*tag); !valid) {
      return invalid_parameter(t, "Invalid parameter at 'imageTag' failed to satisfy constraint: '" +
                                      valid.error().message + "'");
    }
  }

  // ECR computes sha256 over the bytes exactly as given.
  const oci::Digest digest =
      oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(manifest));
  if (auto claimed = string_member(input, "imageDigest"); claimed && *claimed != digest.str()) {
    return ecr_fail("ImageDigestDoesNotMatchException",
                    "The image with digest '" + std::string(*claimed) + "' " + in_repository(t) +
                        " does not match the image digest calculated for the manifest: '" +
                        digest.str() + "'");
  }

  // "No change since the last push" and immutable tags are decided here,
  // where the existing state is known; the store enforces immutability
  // again inside its transaction against racing pushes.
  const oci::Reference reference =
      tag ? oci::Reference::of_tag(*tag) : oci::Reference::of_digest(digest);
  auto existing = ctx.registry.get_manifest(t.repo, reference, /*record_pull=*/false);
  if (existing) {
    const bool immutable = tag && registry::tags_immutable(t.record.settings_json, *tag);
    if (immutable) return tag_already_exists(t, *tag);
    // Re-pushing an archived image (or one being restored) restores it.
    if (existing->digest == digest &&
        registry::image_status(*existing, now_ms()) == registry::ImageStatus::kActive) {
      return image_already_exists(t, digest, tag);
    }
  } else if (existing.error().code != ErrorCode::kManifestNotFound) {
    return std::unexpected(to_ecr_failure(existing.error(), t.registry_id, t.name));
  }

  registry::PutManifestRequest request{reference, manifest, std::string(declared_type.value_or("")),
                                       /*lenient_references=*/ctx.settings.lenient_put_image};
  auto put = ctx.registry.put_manifest(t.repo, request);
  if (!put) {
    const Error& e = put.error();
    if (e.code == ErrorCode::kTagImmutable) return tag_already_exists(t, tag.value_or(""));
    if (e.code == ErrorCode::kManifestBlobUnknown) {
      if (parsed->kind == oci::ManifestKind::kIndex) {
        return ecr_fail("ReferencedImagesNotFoundException",
                        "The manifest list is referencing an image that does not exist: '" +
                            e.detail + "'");
      }
      return ecr_fail("LayersNotFoundException",
                      "Layers with digests '[" + e.detail +
                          "]' required for pushing image into repository with name '" + t.name +
                          "' in the registry with id '" + t.registry_id + "' do not exist");
    }
    return std::unexpected(to_ecr_failure(e, t.registry_id, t.name));
  }

  json::object image;
  image["registryId"] = t.registry_id;
  image["repositoryName"] = t.name;
  image["imageId"] = image_id_json(put->digest, tag.value_or(""));
  image["imageManifest"] = manifest;
  image["imageManifestMediaType"] = parsed->media_type;
  json::object output;
  output["image"] = std::move(image);
  return output;
}

// ---- listings ----

enum class TagStatus { kAny, kTagged, kUntagged };

struct ListFilter {
  TagStatus tag_status = TagStatus::kAny;
  // imageStatus: ACTIVE unless the filter says otherwise; nullopt = ANY.
  std::optional<registry::ImageStatus> image_status = registry::ImageStatus::kActive;
  std::int64_t now_ms = 0;  // the instant statuses are read at
};

ListFilter read_filter(const json::object& input) {
  ListFilter f;
  f.now_ms = now_ms();
  const json::value* filter = input.if_contains("filter");
  if (filter == nullptr || !filter->is_object()) return f;
  auto status = string_member(filter->get_object(), "tagStatus");
  if (status == "TAGGED") f.tag_status = TagStatus::kTagged;
  if (status == "UNTAGGED") f.tag_status = TagStatus::kUntagged;
  auto image_status = string_member(filter->get_object(), "imageStatus");
  if (image_status == "ARCHIVED") f.image_status = registry::ImageStatus::kArchived;
  if (image_status == "ACTIVATING") f.image_status = registry::ImageStatus::kActivating;
  if (image_status == "ANY") f.image_status.reset();
  return f;
}

bool passes(const ListFilter& f, const ManifestSummary& s) {
  if (f.image_status && registry::image_status(s.manifest, f.now_ms) != *f.image_status) {
    return false;
  }
  switch (f.tag_status) {
    case TagStatus::kTagged:
      return !s.tags.empty();
    case TagStatus::kUntagged:
      return s.tags.empty();
    case TagStatus::kAny:
      break;
  }
  return true;
}

std::string token_scope(const Target& t) { return t.repo.registry + "/" + t.name; }

// The cursor of the request's nextToken; an empty cursor when absent.
std::expected<PageCursor, EcrFailure> read_cursor(const Target& t, const json::object& input,
                                                  std::string_view operation) {
  auto token = string_member(input, "nextToken");
  if (!token || token->empty()) return PageCursor{};
  auto cursor = decode_next_token(*token, operation, token_scope(t));
  if (!cursor) return std::unexpected(to_ecr_failure(cursor.error(), t.registry_id, t.name));
  if (!cursor->after.empty() && !oci::Digest::parse(cursor->after)) {
    return invalid_parameter(t, "Invalid parameter at 'nextToken' failed to satisfy constraint: "
                                "'invalid token'");
  }
  return std::move(*cursor);
}

// Visits the repository's images in digest order, strictly after `after`,
// while `visit` returns true.
Status scan_images(EcrContext& ctx, const Target& t, std::string after, std::size_t batch,
                   const std::function<bool(ManifestSummary&)>& visit) {
  for (;;) {
    auto page = ctx.registry.list_images(t.repo, after, batch);
    if (!page) return std::unexpected(std::move(page).error());
    for (ManifestSummary& s : *page) {
      if (!visit(s)) return ok();
    }
    if (page->size() < batch) return ok();
    after = page->back().manifest.digest.str();
  }
}

json::object image_detail(const Target& t, const ManifestRecord& m,
                          const std::vector<std::string>& tags, std::int64_t now) {
  json::object d;
  d["registryId"] = t.registry_id;
  d["repositoryName"] = t.name;
  d["imageDigest"] = m.digest.str();
  if (!tags.empty()) {
    json::array a;
    for (const std::string& tag : tags) a.emplace_back(tag);
    d["imageTags"] = std::move(a);
  }
  d["imageSizeInBytes"] = static_cast<std::int64_t>(m.image_size);
  d["imagePushedAt"] = epoch_seconds(m.pushed_at_ms);
  if (m.last_pulled_at_ms > 0) d["lastRecordedPullTime"] = epoch_seconds(m.last_pulled_at_ms);
  d["imageManifestMediaType"] = m.media_type;
  const std::string& artifact = !m.artifact_type.empty() ? m.artifact_type : m.config_media_type;
  if (!artifact.empty()) d["artifactMediaType"] = artifact;
  if (m.subject) d["subjectManifestDigest"] = m.subject->str();
  d["imageStatus"] = registry::to_string(registry::image_status(m, now));
  if (m.last_archived_at_ms > 0) d["lastArchivedAt"] = epoch_seconds(m.last_archived_at_ms);
  // While a restore is under way it has not happened yet.
  if (m.last_activated_at_ms > 0 && m.last_activated_at_ms <= now) {
    d["lastActivatedAt"] = epoch_seconds(m.last_activated_at_ms);
  }
  return d;
}

// ---- DescribeImages ----

EcrResult describe_one(EcrContext& ctx, const Target& t, const ImageId& raw,
                                 std::vector<oci::Digest>& seen, json::array& details) {
  auto checked = check_image_id(raw);
  if (!checked) return invalid_parameter(t, checked.error().reason);
  auto not_found = [&] {
    return ecr_fail("ImageNotFoundException",
                    "The image with imageId " + describe_image_id(raw) +
                        " does not exist within the repository with name '" + t.name +
                        "' in the registry with id '" + t.registry_id + "'");
  };
  const oci::Reference reference = checked->tag ? oci::Reference::of_tag(*checked->tag)
                                                : oci::Reference::of_digest(*checked->digest);
  auto m = ctx.registry.get_manifest(t.repo, reference, /*record_pull=*/false);
  if (!m) {
    if (m.error().code == ErrorCode::kManifestNotFound) return not_found();
    return std::unexpected(to_ecr_failure(m.error(), t.registry_id, t.name));
  }
  if (checked->digest && m->digest != *checked->digest) return not_found();
  // One detail per image, however many identifiers name it.
  if (std::find(seen.begin(), seen.end(), m->digest) != seen.end()) return json::value();
  seen.push_back(m->digest);
  auto tags = ctx.registry.tags_of(t.repo, m->digest);
  if (!tags) return std::unexpected(to_ecr_failure(tags.error(), t.registry_id, t.name));
  details.push_back(image_detail(t, *m, *tags, now_ms()));
  return json::value();
}

EcrResult describe_images(EcrContext& ctx, const json::object& input) {
  // Pull times are noted in memory first; report every pull made so far.
  (void)ctx.registry.flush_pulls();
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  const Target& t = *target;
  json::array details;
  json::object output;

  if (const json::value* ids = input.if_contains("imageIds")) {
    if (input.contains("nextToken") || input.contains("maxResults")) {
      return invalid_parameter(t, "Invalid parameter: nextToken and maxResults cannot be used "
                                  "together with imageIds");
    }
    std::vector<oci::Digest> seen;
    for (const ImageId& raw : read_image_ids(ids)) {
      auto described = describe_one(ctx, t, raw, seen, details);
      if (!described) return described;
    }
    output["imageDetails"] = std::move(details);
    return output;
  }

  const ListFilter filter = read_filter(input);
  const std::size_t max = max_results(input);
  auto cursor = read_cursor(t, input, "DescribeImages");
  if (!cursor) return std::unexpected(std::move(cursor).error());
  std::string last_digest;
  bool more = false;
  auto scanned = scan_images(ctx, t, cursor->after, max + 1, [&](ManifestSummary& s) {
    if (!passes(filter, s)) return true;
    if (details.size() == max) {
      more = true;
      return false;
    }
    details.push_back(image_detail(t, s.manifest, s.tags, filter.now_ms));
    last_digest = s.manifest.digest.str();
    return true;
  });
  if (!scanned) return std::unexpected(to_ecr_failure(scanned.error(), t.registry_id, t.name));
  output["imageDetails"] = std::move(details);
  if (more) {
    output["nextToken"] =
        encode_next_token(PageCursor{"DescribeImages", token_scope(t), last_digest, ""});
  }
  return output;
}

// ---- ListImages ----

EcrResult list_images(EcrContext& ctx, const json::object& input) {
  auto target = resolve_target(ctx, input);
  if (!target) return std::unexpected(std::move(target).error());
  const Target& t = *target;
  const ListFilter filter = read_filter(input);
  const std::size_t max = max_results(input);
  auto cursor = read_cursor(t, input, "ListImages");
  if (!cursor) return std::unexpected(std::move(cursor).error());

  json::array ids;
  PageCursor next{"ListImages", token_scope(t), "", ""};
  bool more = false;
  // Adds one entry unless the page is full (then notes that more remain).
  auto add = [&](const oci::Digest& digest, std::string_view tag) {
    if (ids.size() == max) {
      more = true;
      return false;
    }
    ids.push_back(image_id_json(digest, tag));
    next.after = digest.str();
    next.after_tag = std::string(tag);
    return true;
  };

  // The previous page may have stopped inside an image's tags (of an image
  // that passed the filter then; it is checked again).
  if (!cursor->after_tag.empty() && filter.tag_status != TagStatus::kUntagged) {
    const oci::Digest after = *oci::Digest::parse(cursor->after);
    auto m = ctx.registry.get_manifest(t.repo, oci::Reference::of_digest(after), false);
    if (!m && m.error().code != ErrorCode::kManifestNotFound) {
      return std::unexpected(to_ecr_failure(m.error(), t.registry_id, t.name));
    }
    if (m && (!filter.image_status ||
              registry::image_status(*m, filter.now_ms) == *filter.image_status)) {
      auto tags = ctx.registry.tags_of(t.repo, after);
      if (!tags) return std::unexpected(to_ecr_failure(tags.error(), t.registry_id, t.name));
      for (const std::string& tag : *tags) {
        if (tag > cursor->after_tag && !add(after, tag)) break;
      }
    }
  }
  if (!more) {
    auto scanned = scan_images(ctx, t, cursor->after, max + 1, [&](ManifestSummary& s) {
      if (!passes(filter, s)) return true;
      if (s.tags.empty()) return add(s.manifest.digest, "");
      for (const std::string& tag : s.tags) {
        if (!add(s.manifest.digest, tag)) return false;
      }
      return true;
    });
    if (!scanned) return std::unexpected(to_ecr_failure(scanned.error(), t.registry_id, t.name));
  }
  json::object output;
  output["imageIds"] = std::move(ids);
  if (more) output["nextToken"] = encode_next_token(next);
  return output;
}

}  // namespace

boost::asio::awaitable<EcrResult> PutImage(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] { return put_image(ctx, input); });
}

boost::asio::awaitable<EcrResult> DescribeImages(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] { return describe_images(ctx, input); });
}

boost::asio::awaitable<EcrResult> ListImages(EcrContext& ctx, const json::object& input) {
  co_return co_await http::offload(ctx.blocking, [&] { return list_images(ctx, input); });
}

}  // namespace berth::api::ecr
