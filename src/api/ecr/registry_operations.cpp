// DescribeRegistry and GetAuthorizationToken.
#include <boost/json.hpp>

#include "api/ecr/admin_operations.hpp"
#include "api/ecr/admin_support.hpp"
#include "util/base64.hpp"
#include "util/time.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

boost::asio::awaitable<EcrResult> DescribeRegistry(EcrContext& ctx, const json::object& input) {
  // berth does not replicate; the configuration is reported as empty, as a
  // registry that never had replication configured answers.
  co_return json::value(json::object{
      {"registryId", registry_id(ctx, input)},
      {"replicationConfiguration", json::object{{"rules", json::array{}}}}});
}

boost::asio::awaitable<EcrResult> GetAuthorizationToken(EcrContext& ctx, const json::object& input) {
  std::int64_t expires_at = now_ms() + ctx.settings.authorization_token_ttl_ms;
  std::vector<std::string> registries;
  if (auto* ids = input.if_contains("registryIds"); ids && ids->is_array()) {
    for (const auto& id : ids->as_array()) registries.emplace_back(id.as_string());
  } else {
    registries.push_back(ctx.caller.account_id);
  }
  json::array data;
  for (const auto& id : registries) {
    std::string password = ctx.services.issue_registry_password(ctx.caller, id, expires_at);
    std::string registry = id + ":" + ctx.caller.region;
    std::string endpoint = repository_uri(ctx.settings, registry, "");
    endpoint.pop_back();  // repository_uri ends with "/<name>"; the name is empty
    std::string scheme = ctx.settings.public_url.starts_with("https://") ? "https://" : "http://";
    data.push_back(json::object{{"authorizationToken", base64_encode("AWS:" + password)},
                                {"expiresAt", static_cast<double>(expires_at) / 1000.0},
                                {"proxyEndpoint", scheme + endpoint}});
  }
  co_return json::value(json::object{{"authorizationData", std::move(data)}});
}

}  // namespace berth::api::ecr
