#include "api/console/browse.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "api/console/console_access.hpp"
#include "api/console/console_api.hpp"
#include "api/console/lifecycle_policy.hpp"
#include "api/console/repository_search.hpp"
#include "api/console/responses.hpp"
#include "api/ecr/repository_settings.hpp"
#include "registry/image_status.hpp"
#include "http/offload.hpp"
#include "lifecycle/runner.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/reference.hpp"
#include "util/time.hpp"

namespace berth::api::console {

namespace asio = boost::asio;
namespace json = boost::json;
using Verb = http::beast_http::verb;
using HttpStatus = http::beast_http::status;

namespace {

constexpr std::size_t kDefaultPage = 50;
constexpr std::size_t kMaxPage = 200;
constexpr std::size_t kMaxRegions = 64;
// A settings change body holds one short member.
constexpr std::size_t kSettingsBodyLimit = 4096;
// A lifecycle policy is at most 30720 characters (lifecycle/policy.hpp),
// each of which JSON may escape as six.
constexpr std::size_t kPolicyBodyLimit = 6 * lifecycle::kMaxPolicyChars + 1024;

std::string param(const BrowseContext& ctx, std::string_view key) {
  auto value = ctx.request.query_param(key);
  return value ? std::string(*value) : std::string();
}

std::size_t page_limit(const BrowseContext& ctx) {
  const std::string text = param(ctx, "limit");
  std::size_t limit = kDefaultPage;
  if (!text.empty()) std::from_chars(text.data(), text.data() + text.size(), limit);
  return std::clamp<std::size_t>(limit, 1, kMaxPage);
}

// A region as ECR spells them (us-east-1): lower-case letters, digits, dashes.
bool is_region(std::string_view region) {
  return !region.empty() && region.size() <= 32 &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// An account id as ECR spells registry ids: twelve digits.
bool is_account_id(std::string_view id) {
  return id.size() == 12 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The registry the request addresses: ?registryId= (default: the session's
// account; another account's is reached as the ECR API's registryId reaches
// it, where repository policies let the caller in) in ?region=.
Result<std::string> registry_of(const BrowseContext& ctx) {
  std::string region = param(ctx, "region");
  if (region.empty()) region = ctx.options.default_region;
  if (!is_region(region)) return fail(ErrorCode::kInvalidArgument, "Not a region: " + region);
  std::string account = param(ctx, "registryId");
  if (account.empty()) account = ctx.session.account_id;
  if (!is_account_id(account)) {
    return fail(ErrorCode::kInvalidArgument, "Not a registry id (12 digits): " + account);
  }
  return account + ":" + region;
}

Result<registry::RepositoryRef> repository_of(const BrowseContext& ctx) {
  std::string registry_name = BERTH_TRY(registry_of(ctx));
  std::string name = param(ctx, "name");
  BERTH_TRY_STATUS(oci::validate_repository_name(name));
  return registry::RepositoryRef{std::move(registry_name), std::move(name)};
}

// What the session may do here (console_access.hpp).
ConsoleAccess access_of(const BrowseContext& ctx) {
  return ConsoleAccess(ctx.options.access.get(), ctx.session, ctx.request, ctx.options.tls);
}

ecr::EcrSettings uri_settings(const ConsoleOptions& options) {
  ecr::EcrSettings settings;
  settings.public_url = options.public_url;
  settings.repository_uri_template = options.repository_uri_template;
  return settings;
}

std::string registry_host(const ConsoleOptions& options, std::string_view registry_name) {
  std::string uri = ecr::repository_uri(uri_settings(options), registry_name, "");
  uri.pop_back();  // repository_uri ends with "/<name>"; the name is empty
  return uri;
}

json::object repository_summary(const ConsoleOptions& options,
                                const registry::RepositoryRecord& record) {
  const ecr::RepositorySettings settings = ecr::RepositorySettings::from_json(record.settings_json);
  json::object out;
  out["name"] = record.name;
  out["registryId"] = ecr::split_registry(record.registry).first;
  out["createdAt"] = record.created_at_ms;
  out["uri"] = ecr::repository_uri(uri_settings(options), record.registry, record.name);
  out["tagMutability"] = settings.image_tag_mutability;
  return out;
}

json::array platforms_of(const oci::ParsedManifest& parsed) {
  json::array platforms;
  for (const oci::Descriptor& child : parsed.manifests) {
    if (!child.platform) continue;
    std::string text = child.platform->os + "/" + child.platform->architecture;
    if (!child.platform->variant.empty()) text += "/" + child.platform->variant;
    // Attestation manifests (buildx) carry unknown/unknown: not a platform.
    if (text == "unknown/unknown") continue;
    platforms.emplace_back(text);
  }
  return platforms;
}

json::object descriptor_json(const oci::Descriptor& d) {
  json::object out;
  out["digest"] = d.digest.str();
  out["mediaType"] = d.media_type;
  out["size"] = d.size;
  if (!d.artifact_type.empty()) out["artifactType"] = d.artifact_type;
  if (d.platform) {
    std::string text = d.platform->os + "/" + d.platform->architecture;
    if (!d.platform->variant.empty()) text += "/" + d.platform->variant;
    out["platform"] = text;
  }
  return out;
}

json::object image_summary(const registry::ManifestRecord& m, const std::vector<std::string>& tags) {
  json::object out;
  out["digest"] = m.digest.str();
  json::array tag_list;
  for (const std::string& tag : tags) tag_list.emplace_back(tag);
  out["tags"] = std::move(tag_list);
  out["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) out["artifactType"] = m.artifact_type;
  out["size"] = m.image_size;
  out["manifestSize"] = m.size;
  out["pushedAt"] = m.pushed_at_ms;
  if (m.last_pulled_at_ms != 0) out["lastPulledAt"] = m.last_pulled_at_ms;
  if (m.subject) out["subject"] = m.subject->str();
  out["index"] = oci::media_types::is_index_media_type(m.media_type);
  out["archived"] = m.storage_class == registry::StorageClass::kArchive;
  return out;
}

http::Response answer(Result<json::object> result) {
  if (!result) return error_response(result.error());
  return json_response(HttpStatus::ok, *result);
}

// ---- handlers ----

asio::awaitable<http::Response> get_registries(const BrowseContext& ctx) {
  const std::string account = ctx.session.account_id;
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    // Registry names are "<account>:<region>": the account's sort together.
    const std::string prefix = account + ":";
    std::vector<std::string> regions;
    std::string after = prefix;
    while (regions.size() < kMaxRegions) {
      std::vector<std::string> page = BERTH_TRY(ctx.registry.registries(after, 32));
      bool done = page.size() < 32;
      for (const std::string& registry_name : page) {
        if (!registry_name.starts_with(prefix)) {
          done = true;
          break;
        }
        regions.push_back(registry_name.substr(prefix.size()));
        after = registry_name;
      }
      if (done) break;
    }
    if (std::find(regions.begin(), regions.end(), ctx.options.default_region) == regions.end()) {
      regions.push_back(ctx.options.default_region);
    }
    std::sort(regions.begin(), regions.end());
    json::array list;
    for (const std::string& region : regions) {
      list.emplace_back(json::object{{"region", region},
                                     {"registryId", account},
                                     {"host", registry_host(ctx.options, prefix + region)}});
    }
    return json::object{{"accountId", account},
                        {"defaultRegion", ctx.options.default_region},
                        {"registries", std::move(list)}};
  });
  co_return answer(std::move(result));
}

asio::awaitable<http::Response> get_repositories(const BrowseContext& ctx) {
  Result<std::string> registry_name = registry_of(ctx);
  if (!registry_name) co_return error_response(registry_name.error());
  SearchRequest search;
  search.query = param(ctx, "q");
  search.mode = param(ctx, "match") == "prefix" ? MatchMode::kPrefix : MatchMode::kSubstring;
  search.after = param(ctx, "after");
  search.limit = page_limit(ctx);
  // A page shows what the caller may describe; the rest is skipped rather
  // than failing the page (a narrow policy still gets a working list).
  const ConsoleAccess allowed = access_of(ctx);
  search.visible = [&](const registry::RepositoryRecord& record) {
    return allowed.may_describe(record);
  };
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    SearchPage page = BERTH_TRY(search_repositories(
        [&](std::string_view after, std::size_t limit) {
          return ctx.registry.list_repository_records(*registry_name, after, limit);
        },
        search));
    json::array list;
    for (const registry::RepositoryRecord& record : page.repositories) {
      list.emplace_back(repository_summary(ctx.options, record));
    }
    json::object out{{"repositories", std::move(list)}};
    out["next"] = page.next.empty() ? json::value(nullptr) : json::value(page.next);
    return out;
  });
  co_return answer(std::move(result));
}

asio::awaitable<http::Response> get_repository(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return error_response(ref.error());
  const ConsoleAccess allowed = access_of(ctx);
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    BERTH_TRY_STATUS(allowed.authorize(actions::kDescribeRepositories, *ref));
    registry::RepositoryRecord record = BERTH_TRY(ctx.registry.repository(*ref));
    const ecr::RepositorySettings s = ecr::RepositorySettings::from_json(record.settings_json);
    json::object out = repository_summary(ctx.options, record);
    out["region"] = ecr::split_registry(record.registry).second;
    out["host"] = registry_host(ctx.options, record.registry);
    out["insecure"] = !ctx.options.public_url.starts_with("https://");
    out["publicUrl"] = ctx.options.public_url;
    json::array filters;
    for (const json::value& f : s.tag_mutability_exclusion_filters) filters.push_back(f);
    out["tagMutabilityExclusionFilters"] = std::move(filters);
    out["scanOnPush"] = s.scan_on_push;
    out["encryptionType"] = s.encryption_type;
    // The policies are shown only to whom the ECR API would show them; a
    // denial is a fact of the page ("not permitted"), not a failed page.
    Status may_read_lifecycle = allowed.authorize(actions::kGetLifecyclePolicy, *ref);
    if (!may_read_lifecycle && may_read_lifecycle.error().code != ErrorCode::kDenied) {
      return std::unexpected(std::move(may_read_lifecycle).error());
    }
    if (may_read_lifecycle) {
      out["lifecyclePolicy"] =
          s.lifecycle_policy ? json::value(*s.lifecycle_policy) : json::value(nullptr);
      if (s.lifecycle_policy_evaluated_ms != 0) {
        out["lifecyclePolicyEvaluatedAt"] = s.lifecycle_policy_evaluated_ms;
      }
    } else {
      out["lifecyclePolicy"] = nullptr;
      out["lifecyclePolicyDenied"] = may_read_lifecycle.error().message;
    }
    // What the page offers to do, so it can say so up front; the calls
    // themselves are decided again when made.
    json::object permissions;
    for (const auto& [key, action] :
         {std::pair{"deleteImage", actions::kBatchDeleteImage},
          std::pair{"putImageTagMutability", actions::kPutImageTagMutability},
          std::pair{"putLifecyclePolicy", actions::kPutLifecyclePolicy},
          std::pair{"deleteLifecyclePolicy", actions::kDeleteLifecyclePolicy},
          std::pair{"startLifecyclePolicyPreview", actions::kStartLifecyclePolicyPreview}}) {
      Status may = allowed.authorize(action, *ref);
      if (!may && may.error().code != ErrorCode::kDenied) {
        return std::unexpected(std::move(may).error());
      }
      permissions[key] = may.has_value();
    }
    out["permissions"] = std::move(permissions);
    Status may_read_policy = allowed.authorize(actions::kGetRepositoryPolicy, *ref);
    if (!may_read_policy && may_read_policy.error().code != ErrorCode::kDenied) {
      return std::unexpected(std::move(may_read_policy).error());
    }
    if (may_read_policy) {
      out["repositoryPolicy"] =
          s.repository_policy ? json::value(*s.repository_policy) : json::value(nullptr);
    } else {
      out["repositoryPolicy"] = nullptr;
      out["repositoryPolicyDenied"] = may_read_policy.error().message;
    }
    return out;
  });
  co_return answer(std::move(result));
}

// One row of the images list; `content` is the manifest when it was read
// (an index's platforms need it), empty when the listing left it out.
json::object image_row(const BrowseContext& ctx, const registry::RepositoryRef& ref,
                       const registry::ManifestRecord& m, const std::vector<std::string>& tags) {
  json::object image = image_summary(m, tags);
  if (!oci::media_types::is_index_media_type(m.media_type)) return image;
  std::string content = m.content;
  if (content.empty()) {
    // Summaries come without content; an index's platforms need it.
    auto full = ctx.registry.get_manifest(ref, oci::Reference::of_digest(m.digest), false);
    if (!full) return image;
    content = std::move(full->content);
  }
  if (auto parsed = oci::parse_manifest(content, m.media_type)) {
    image["platforms"] = platforms_of(*parsed);
  }
  return image;
}

// A page in digest order: the store's own order, one indexed range read.
Result<json::object> images_by_digest(const BrowseContext& ctx, const registry::RepositoryRef& ref,
                                      const std::string& after, std::size_t limit) {
  // One more than the page: `next` is set only when another page has rows.
  std::vector<registry::ManifestSummary> page =
      BERTH_TRY(ctx.registry.list_images(ref, after, limit + 1));
  const bool more = page.size() > limit;
  if (more) page.pop_back();
  json::array list;
  for (const registry::ManifestSummary& summary : page) {
    list.emplace_back(image_row(ctx, ref, summary.manifest, summary.tags));
  }
  json::object out{{"images", std::move(list)}};
  out["next"] = more ? json::value(page.back().manifest.digest.str()) : json::value(nullptr);
  return out;
}

// A page in tag order: one row per tag (an image with three tags has three
// rows; untagged images have none), walked on the store's tag index as
// /v2/ tags/list walks it, then one read per tag for its image.
Result<json::object> images_by_tag(const BrowseContext& ctx, const registry::RepositoryRef& ref,
                                   const std::string& after, std::size_t limit) {
  BERTH_TRY_STATUS(ctx.registry.flush_pulls());  // as list_images does: current pull times
  const registry::RepositoryRecord record = BERTH_TRY(ctx.registry.repository(ref));
  std::vector<std::string> tags = BERTH_TRY(ctx.registry.list_tags(ref, after, limit + 1));
  const bool more = tags.size() > limit;
  if (more) tags.pop_back();
  json::array list;
  for (const std::string& tag : tags) {
    auto reference = oci::Reference::parse(tag);
    if (!reference) continue;
    auto m = ctx.registry.get_manifest(record, *reference, false);
    if (!m) {
      // Untagged or deleted since the tags were listed: not a row any more.
      if (m.error().code == ErrorCode::kManifestNotFound) continue;
      return std::unexpected(std::move(m).error());
    }
    std::vector<std::string> all_tags = BERTH_TRY(ctx.registry.tags_of(ref, m->digest));
    json::object image = image_row(ctx, ref, *m, all_tags);
    image["tag"] = tag;
    list.emplace_back(std::move(image));
  }
  json::object out{{"images", std::move(list)}};
  out["next"] = more ? json::value(tags.back()) : json::value(nullptr);
  return out;
}

asio::awaitable<http::Response> get_images(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return error_response(ref.error());
  const std::string after = param(ctx, "after");
  const std::size_t limit = page_limit(ctx);
  const std::string order = param(ctx, "order");
  if (!order.empty() && order != "digest" && order != "tag") {
    co_return error_response(HttpStatus::bad_request, "InvalidParameter",
                             "order must be digest or tag");
  }
  const ConsoleAccess allowed = access_of(ctx);
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    // Either ECR call lists a repository's images.
    constexpr std::string_view kListing[] = {actions::kDescribeImages, actions::kListImages};
    BERTH_TRY_STATUS(allowed.authorize(kListing, *ref));
    return order == "tag" ? images_by_tag(ctx, *ref, after, limit)
                          : images_by_digest(ctx, *ref, after, limit);
  });
  co_return answer(std::move(result));
}

asio::awaitable<http::Response> get_image(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return error_response(ref.error());
  Result<oci::Digest> digest = oci::Digest::parse(param(ctx, "digest"));
  if (!digest) co_return error_response(digest.error());
  const ConsoleAccess allowed = access_of(ctx);
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    BERTH_TRY_STATUS(allowed.authorize(actions::kBatchGetImage, *ref));
    registry::ManifestRecord m =
        BERTH_TRY(ctx.registry.get_manifest(*ref, oci::Reference::of_digest(*digest), false));
    std::vector<std::string> tags = BERTH_TRY(ctx.registry.tags_of(*ref, *digest));
    json::object out = image_summary(m, tags);
    out["manifest"] = m.content;
    if (auto parsed = oci::parse_manifest(m.content, m.media_type)) {
      if (parsed->config) out["config"] = descriptor_json(*parsed->config);
      json::array layers;
      for (const oci::Descriptor& d : parsed->layers) layers.emplace_back(descriptor_json(d));
      out["layers"] = std::move(layers);
      json::array children;
      for (const oci::Descriptor& d : parsed->manifests) children.emplace_back(descriptor_json(d));
      out["manifests"] = std::move(children);
      out["platforms"] = platforms_of(*parsed);
    }
    registry::ReferrersResult referrers = BERTH_TRY(ctx.registry.referrers(*ref, *digest, std::nullopt));
    json::array referrer_list;
    for (const oci::Descriptor& d : referrers.manifests) referrer_list.emplace_back(descriptor_json(d));
    out["referrers"] = std::move(referrer_list);
    return out;
  });
  co_return answer(std::move(result));
}

asio::awaitable<http::Response> delete_image(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return error_response(ref.error());
  Result<oci::Digest> digest = oci::Digest::parse(param(ctx, "digest"));
  if (!digest) co_return error_response(digest.error());
  const ConsoleAccess allowed = access_of(ctx);
  Status deleted = co_await http::offload(ctx.blocking, [&]() -> Status {
    BERTH_TRY_STATUS(allowed.authorize(actions::kBatchDeleteImage, *ref));
    return ctx.registry.delete_manifest(*ref, oci::Reference::of_digest(*digest));
  });
  if (!deleted) {
    if (deleted.error().code == ErrorCode::kReferencedByIndex) {
      co_return error_response(HttpStatus::conflict, "ImageInUse",
                               "An image index in this repository lists this image; delete the "
                               "index first");
    }
    co_return error_response(deleted.error());
  }
  http::Response response(HttpStatus::no_content);
  add_security_headers(response);
  response.headers.set(http::beast_http::field::cache_control, "no-store");
  co_return response;
}

// PUT api/repository/tag-mutability {"imageTagMutability": "MUTABLE" |
// "IMMUTABLE"}: as PutImageTagMutability without exclusion filters (which
// it clears, as that call does when given none).
asio::awaitable<http::Response> put_tag_mutability(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return error_response(ref.error());
  std::string body;
  if (ctx.request.body) {
    auto read = co_await ctx.request.body->read_all(kSettingsBodyLimit);
    if (!read) {
      co_return error_response(HttpStatus::bad_request, "InvalidRequest",
                               "The settings request is too large or was cut short");
    }
    body = std::move(*read);
  }
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const json::value* mode_value =
      !ec && parsed.is_object() ? parsed.get_object().if_contains("imageTagMutability") : nullptr;
  const std::string mode = mode_value && mode_value->is_string()
                               ? std::string(mode_value->get_string())
                               : std::string();
  if (mode != "MUTABLE" && mode != "IMMUTABLE") {
    co_return error_response(HttpStatus::bad_request, "InvalidParameter",
                             "imageTagMutability must be MUTABLE or IMMUTABLE");
  }
  const ConsoleAccess allowed = access_of(ctx);
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    BERTH_TRY_STATUS(allowed.authorize(actions::kPutImageTagMutability, *ref));
    registry::RepositoryRecord record = BERTH_TRY(ctx.registry.modify_repository_settings(
        *ref, [&](const std::string& current) -> Result<std::string> {
          ecr::RepositorySettings settings = ecr::RepositorySettings::from_json(current);
          settings.image_tag_mutability = mode;
          settings.tag_mutability_exclusion_filters.clear();
          return settings.to_json();
        }));
    return repository_summary(ctx.options, record);
  });
  co_return answer(std::move(result));
}

// The body of a settings or policy call, at most `limit` bytes.
asio::awaitable<Result<std::string>> read_body(const BrowseContext& ctx, std::size_t limit) {
  if (!ctx.request.body) co_return std::string();
  auto read = co_await ctx.request.body->read_all(limit);
  if (!read) {
    co_return fail(ErrorCode::kInvalidArgument, "The request is too large or was cut short");
  }
  co_return std::move(*read);
}

// What both lifecycle-policy calls take: the repository named in the query
// and the policy in the body, parsed.
struct PolicyCall {
  registry::RepositoryRef repository;
  PolicyRequest policy;
};

asio::awaitable<Result<PolicyCall>> read_policy_call(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return std::unexpected(std::move(ref).error());
  Result<std::string> body = co_await read_body(ctx, kPolicyBodyLimit);
  if (!body) co_return std::unexpected(std::move(body).error());
  Result<PolicyRequest> policy = policy_request(*body);
  if (!policy) co_return std::unexpected(std::move(policy).error());
  co_return PolicyCall{std::move(*ref), std::move(*policy)};
}

// PUT api/repository/lifecycle-policy {"lifecyclePolicyText"}: as
// PutLifecyclePolicy (the same parser validates it; the policy has not run
// yet, so lastEvaluatedAt starts over).
asio::awaitable<http::Response> put_lifecycle_policy(const BrowseContext& ctx) {
  Result<PolicyCall> call = co_await read_policy_call(ctx);
  if (!call) co_return error_response(call.error());
  const registry::RepositoryRef* ref = &call->repository;
  const PolicyRequest* policy = &call->policy;
  const ConsoleAccess allowed = access_of(ctx);
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    BERTH_TRY_STATUS(allowed.authorize(actions::kPutLifecyclePolicy, *ref));
    const std::int64_t updated = now_ms();
    registry::RepositoryRecord record = BERTH_TRY(ctx.registry.modify_repository_settings(
        *ref, [&](const std::string& current) -> Result<std::string> {
          ecr::RepositorySettings settings = ecr::RepositorySettings::from_json(current);
          settings.lifecycle_policy = policy->text;
          settings.lifecycle_policy_updated_ms = updated;
          settings.lifecycle_policy_evaluated_ms = 0;
          return settings.to_json();
        }));
    json::object out = repository_summary(ctx.options, record);
    out["lifecyclePolicy"] = policy->text;
    return out;
  });
  co_return answer(std::move(result));
}

// DELETE api/repository/lifecycle-policy: as DeleteLifecyclePolicy, 404
// LifecyclePolicyNotFoundException (ECR's name and wording) when the
// repository has none.
asio::awaitable<http::Response> delete_lifecycle_policy(const BrowseContext& ctx) {
  Result<registry::RepositoryRef> ref = repository_of(ctx);
  if (!ref) co_return error_response(ref.error());
  const ConsoleAccess allowed = access_of(ctx);
  bool had_policy = false;
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    BERTH_TRY_STATUS(allowed.authorize(actions::kDeleteLifecyclePolicy, *ref));
    registry::RepositoryRecord record = BERTH_TRY(ctx.registry.modify_repository_settings(
        *ref, [&](const std::string& current) -> Result<std::string> {
          ecr::RepositorySettings settings = ecr::RepositorySettings::from_json(current);
          had_policy = settings.lifecycle_policy.has_value();
          if (!had_policy) return current;  // nothing to delete, nothing changes
          settings.lifecycle_policy.reset();
          settings.lifecycle_policy_evaluated_ms = 0;
          return settings.to_json();
        }));
    json::object out = repository_summary(ctx.options, record);
    out["lifecyclePolicy"] = nullptr;
    return out;
  });
  if (result && !had_policy) {
    co_return error_response(
        HttpStatus::not_found, "LifecyclePolicyNotFoundException",
        "Lifecycle policy does not exist for the repository with name '" + ref->name +
            "' in the registry with id '" + ecr::split_registry(ref->registry).first + "'");
  }
  co_return answer(std::move(result));
}

// POST api/repository/lifecycle-policy/preview {"lifecyclePolicyText"}: the
// images the policy would expire or archive now, evaluated by the code
// behind StartLifecyclePolicyPreview (lifecycle::plan_repository) and
// answered at once, as GetLifecyclePolicyPreview's results; decided as
// both calls. Nothing is stored or changed.
asio::awaitable<http::Response> preview_lifecycle_policy(const BrowseContext& ctx) {
  Result<PolicyCall> call = co_await read_policy_call(ctx);
  if (!call) co_return error_response(call.error());
  const registry::RepositoryRef* ref = &call->repository;
  const PolicyRequest* policy = &call->policy;
  const ConsoleAccess allowed = access_of(ctx);
  Result<json::object> result = co_await http::offload(ctx.blocking, [&]() -> Result<json::object> {
    BERTH_TRY_STATUS(allowed.authorize(actions::kStartLifecyclePolicyPreview, *ref));
    BERTH_TRY_STATUS(allowed.authorize(actions::kGetLifecyclePolicyPreview, *ref));
    std::vector<lifecycle::PlannedAction> planned =
        BERTH_TRY(lifecycle::plan_repository(ctx.registry, *ref, policy->policy, now_ms()));
    json::object out = preview_answer(planned);
    out["lifecyclePolicyText"] = policy->text;
    return out;
  });
  co_return answer(std::move(result));
}

struct Route {
  Verb method;
  std::string_view path;
  BrowseHandler handler;
};

constexpr Route kRoutes[] = {
    {Verb::get, "registries", &get_registries},
    {Verb::get, "repositories", &get_repositories},
    {Verb::get, "repository", &get_repository},
    {Verb::get, "images", &get_images},
    {Verb::get, "image", &get_image},
    {Verb::delete_, "image", &delete_image},
    {Verb::put, "repository/tag-mutability", &put_tag_mutability},
    {Verb::put, "repository/lifecycle-policy", &put_lifecycle_policy},
    {Verb::delete_, "repository/lifecycle-policy", &delete_lifecycle_policy},
    {Verb::post, "repository/lifecycle-policy/preview", &preview_lifecycle_policy},
};

}  // namespace

BrowseHandler find_browse_handler(Verb method, std::string_view route, bool& known_route) {
  known_route = false;
  for (const Route& r : kRoutes) {
    if (r.path != route) continue;
    known_route = true;
    if (r.method == method) return r.handler;
  }
  return nullptr;
}

}  // namespace berth::api::console
