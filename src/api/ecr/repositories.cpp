// CreateRepository, DescribeRepositories, DeleteRepository,
// PutImageTagMutability, PutImageScanningConfiguration.
#include <boost/json.hpp>

#include "api/ecr/admin_operations.hpp"
#include "api/ecr/admin_support.hpp"
#include "http/offload.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTagsPerRepository = 50;
constexpr std::size_t kDefaultPageSize = 100;

std::expected<void, EcrFailure> read_tags(const json::object& input,
                                          std::vector<std::pair<std::string, std::string>>& tags) {
  auto* list = input.if_contains("tags");
  if (!list || !list->is_array()) return {};
  for (const auto& t : list->as_array()) {
    const auto& o = t.as_object();
    std::string key = string_input(o, "Key");
    std::string value = string_input(o, "Value");
    if (auto valid = check_resource_tag(key, value); !valid) return std::unexpected(valid.error());
    auto same = std::find_if(tags.begin(), tags.end(), [&](auto& kv) { return kv.first == key; });
    if (same != tags.end()) {
      same->second = value;
    } else {
      tags.emplace_back(key, value);
    }
  }
  if (tags.size() > kMaxTagsPerRepository) {
    return std::unexpected(EcrFailure{"TooManyTagsException",
                                      "A repository can have at most 50 tags", {}, 400});
  }
  return {};
}

}  // namespace

boost::asio::awaitable<EcrResult> CreateRepository(EcrContext& ctx, const json::object& input) {
  std::string name = string_input(input, "repositoryName");
  RepositorySettings settings;
  settings.image_tag_mutability = string_input(input, "imageTagMutability", "MUTABLE");
  const json::value* filters = input.if_contains("imageTagMutabilityExclusionFilters");
  if (auto ok = check_tag_mutability(settings.image_tag_mutability, filters); !ok) {
    co_return std::unexpected(ok.error());
  }
  if (filters && filters->is_array()) settings.tag_mutability_exclusion_filters = filters->as_array();
  if (auto* scan = input.if_contains("imageScanningConfiguration"); scan && scan->is_object()) {
    settings.scan_on_push = bool_input(scan->as_object(), "scanOnPush").value_or(false);
  }
  if (auto* enc = input.if_contains("encryptionConfiguration"); enc && enc->is_object()) {
    settings.encryption_type = string_input(enc->as_object(), "encryptionType", "AES256");
    settings.kms_key = string_input(enc->as_object(), "kmsKey");
    if (settings.encryption_type == "AES256" && !settings.kms_key.empty()) {
      co_return ecr_fail("InvalidParameterException",
                         "Invalid parameter at 'encryptionConfiguration' failed to satisfy "
                         "constraint: 'kmsKey can only be specified with KMS encryption'");
    }
    if (settings.encryption_type != "AES256" && settings.kms_key.empty()) {
      auto [account, region] = split_registry(repository_ref(ctx, input, name).registry);
      settings.kms_key = aws_managed_ecr_key_arn(account, region);
    }
  }
  if (auto ok = read_tags(input, settings.tags); !ok) co_return std::unexpected(ok.error());

  auto ref = repository_ref(ctx, input, name);
  std::string text = settings.to_json();
  auto created = co_await http::offload(ctx.blocking,
                                        [&] { return ctx.registry.create_repository(ref, text); });
  if (!created) {
    if (created.error().code == ErrorCode::kAlreadyExists) {
      co_return ecr_fail("RepositoryAlreadyExistsException",
                         "The repository with name '" + name +
                             "' already exists in the registry with id '" +
                             registry_id(ctx, input) + "'");
    }
    co_return std::unexpected(to_ecr_failure(created.error(), registry_id(ctx, input), name));
  }
  co_return json::value(
      json::object{{"repository", repository_json(ctx.settings, *created, settings)}});
}

boost::asio::awaitable<EcrResult> DescribeRepositories(EcrContext& ctx, const json::object& input) {
  json::array repositories;
  auto* names = input.if_contains("repositoryNames");
  bool paging = input.contains("nextToken") || input.contains("maxResults");
  if (names && names->is_array()) {
    if (paging) {
      co_return ecr_fail("InvalidParameterException",
                         "Invalid parameter: repositoryNames cannot be combined with nextToken or "
                         "maxResults");
    }
    for (const auto& n : names->as_array()) {
      json::object one = input;
      one["repositoryName"] = n;
      auto repo = co_await load_repository(ctx, one);
      if (!repo) co_return std::unexpected(repo.error());
      repositories.push_back(repository_json(ctx.settings, repo->record, repo->settings));
    }
    co_return json::value(json::object{{"repositories", std::move(repositories)}});
  }

  std::size_t limit = kDefaultPageSize;
  if (auto* m = input.if_contains("maxResults"); m && m->is_int64()) {
    limit = static_cast<std::size_t>(m->as_int64());
  }
  std::string after;
  if (auto token = string_input(input, "nextToken"); !token.empty()) {
    auto decoded = decode_name_token(token);
    if (!decoded) co_return std::unexpected(decoded.error());
    after = *decoded;
  }
  auto registry = repository_ref(ctx, input, "").registry;
  // One extra row tells whether another page exists without a count query.
  auto records = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.list_repository_records(registry, after, limit + 1);
  });
  if (!records) co_return std::unexpected(to_ecr_failure(records.error(), registry_id(ctx, input)));
  json::object out;
  bool more = records->size() > limit;
  if (more) records->resize(limit);
  for (const auto& record : *records) {
    repositories.push_back(repository_json(ctx.settings, record,
                                           RepositorySettings::from_json(record.settings_json)));
  }
  out["repositories"] = std::move(repositories);
  if (more) out["nextToken"] = encode_name_token(records->back().name);
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> DeleteRepository(EcrContext& ctx, const json::object& input) {
  std::string name = string_input(input, "repositoryName");
  auto ref = repository_ref(ctx, input, name);
  bool force = bool_input(input, "force").value_or(false);
  auto deleted = co_await http::offload(ctx.blocking,
                                        [&] { return ctx.registry.delete_repository(ref, force); });
  if (!deleted) {
    if (deleted.error().code == ErrorCode::kRepositoryNotEmpty) {
      co_return ecr_fail("RepositoryNotEmptyException",
                         "The repository with name '" + name + "' in registry with id '" +
                             registry_id(ctx, input) +
                             "' cannot be deleted because it still contains images");
    }
    co_return std::unexpected(to_ecr_failure(deleted.error(), registry_id(ctx, input), name));
  }
  co_return json::value(json::object{
      {"repository", repository_json(ctx.settings, *deleted,
                                     RepositorySettings::from_json(deleted->settings_json))}});
}

boost::asio::awaitable<EcrResult> PutImageTagMutability(EcrContext& ctx, const json::object& input) {
  std::string mode = string_input(input, "imageTagMutability");
  const json::value* filters = input.if_contains("imageTagMutabilityExclusionFilters");
  if (auto ok = check_tag_mutability(mode, filters); !ok) co_return std::unexpected(ok.error());
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  repo->settings.image_tag_mutability = mode;
  repo->settings.tag_mutability_exclusion_filters =
      filters && filters->is_array() ? filters->as_array() : json::array{};
  const RepositorySettings& wanted = repo->settings;
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) { s.image_tag_mutability = wanted.image_tag_mutability;
    s.tag_mutability_exclusion_filters = wanted.tag_mutability_exclusion_filters; });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  json::object out{{"registryId", registry_id(ctx, input)},
                   {"repositoryName", repo->record.name},
                   {"imageTagMutability", mode}};
  if (!repo->settings.tag_mutability_exclusion_filters.empty()) {
    out["imageTagMutabilityExclusionFilters"] = repo->settings.tag_mutability_exclusion_filters;
  }
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> PutImageScanningConfiguration(EcrContext& ctx,
                                                                const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  const auto& scan = input.at("imageScanningConfiguration").as_object();
  repo->settings.scan_on_push = bool_input(scan, "scanOnPush").value_or(false);
  const bool scan_on_push = repo->settings.scan_on_push;
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) { s.scan_on_push = scan_on_push; });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  co_return json::value(json::object{
      {"registryId", registry_id(ctx, input)},
      {"repositoryName", repo->record.name},
      {"imageScanningConfiguration", json::object{{"scanOnPush", repo->settings.scan_on_push}}}});
}

}  // namespace berth::api::ecr
