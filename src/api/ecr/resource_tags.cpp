// TagResource, UntagResource, ListTagsForResource: resource tags of
// repositories, addressed by ARN.
#include <boost/json.hpp>

#include "api/ecr/admin_operations.hpp"
#include "api/ecr/admin_support.hpp"
#include "http/offload.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTags = 50;

// Loads the repository an ARN names; the ARN's account must be one the
// caller may address (its own, unless auth is off).
boost::asio::awaitable<std::expected<LoadedRepository, EcrFailure>> load_by_arn(
    EcrContext& ctx, const json::object& input) {
  auto ref = parse_repository_arn(string_input(input, "resourceArn"));
  if (!ref) co_return std::unexpected(ref.error());
  auto [account, region] = split_registry(ref->registry);
  json::object lookup{{"repositoryName", ref->name}, {"registryId", account}};
  // The ARN's region wins over the credential scope's for this lookup.
  EcrContext scoped{ctx.registry, ctx.blocking, ctx.settings, ctx.services, ctx.caller,
                    ctx.request_id};
  scoped.caller.region = region;
  co_return co_await load_repository(scoped, lookup);
}

}  // namespace

boost::asio::awaitable<EcrResult> TagResource(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_by_arn(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  std::vector<std::pair<std::string, std::string>> added;
  for (const auto& t : input.at("tags").as_array()) {
    std::string key = string_input(t.as_object(), "Key");
    std::string value = string_input(t.as_object(), "Value");
    if (auto valid = check_resource_tag(key, value); !valid) {
      co_return std::unexpected(valid.error());
    }
    added.emplace_back(std::move(key), std::move(value));
  }
  auto merge = [&](std::vector<std::pair<std::string, std::string>>& tags) {
    for (const auto& [key, value] : added) {
      auto it = std::find_if(tags.begin(), tags.end(), [&](auto& kv) { return kv.first == key; });
      if (it != tags.end()) {
        it->second = value;
      } else {
        tags.emplace_back(key, value);
      }
    }
  };
  merge(repo->settings.tags);
  if (repo->settings.tags.size() > kMaxTags) {
    co_return ecr_fail("TooManyTagsException", "A repository can have at most 50 tags");
  }
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) { merge(s.tags); });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  co_return json::value(json::object{});
}

boost::asio::awaitable<EcrResult> UntagResource(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_by_arn(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  auto remove = [&](std::vector<std::pair<std::string, std::string>>& tags) {
    for (const auto& k : input.at("tagKeys").as_array()) {
      std::string_view key = k.as_string();
      std::erase_if(tags, [&](auto& kv) { return kv.first == key; });
    }
  };
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) { remove(s.tags); });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  co_return json::value(json::object{});
}

boost::asio::awaitable<EcrResult> ListTagsForResource(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_by_arn(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  json::array tags;
  for (const auto& [k, v] : repo->settings.tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
  co_return json::value(json::object{{"tags", std::move(tags)}});
}

}  // namespace berth::api::ecr
