// Repository policies and registry policies: validated (policy/document.hpp
// parses them as the enforcement point will), stored, reported back as ECR
// does, and enforced by access::AccessControl. SetRepositoryPolicy refuses
// a policy that would lock the caller or the owning account's root out of
// setting the policy again, unless `force`. Lifecycle policies are in
// lifecycle_operations.cpp.
#include <boost/json.hpp>

#include "api/ecr/admin_operations.hpp"
#include "api/ecr/admin_support.hpp"
#include "api/ecr/policy_validation.hpp"
#include "http/offload.hpp"
#include "policy/document.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

std::unexpected<EcrFailure> invalid_policy(std::string_view field, const std::string& problem) {
  return ecr_fail("InvalidParameterException", "Invalid parameter at '" + std::string(field) +
                                                   "' failed to satisfy constraint: '" + problem + "'");
}

json::object repository_answer(EcrContext& ctx, const json::object& input,
                               const LoadedRepository& repo) {
  return json::object{{"registryId", registry_id(ctx, input)},
                      {"repositoryName", repo.record.name}};
}

std::unexpected<EcrFailure> no_repository_policy(EcrContext& ctx, const json::object& input,
                                                 const LoadedRepository& repo) {
  return ecr_fail("RepositoryPolicyNotFoundException",
                  "Repository policy does not exist for the repository with name '" +
                      repo.record.name + "' in the registry with id '" + registry_id(ctx, input) + "'");
}

}  // namespace

boost::asio::awaitable<EcrResult> SetRepositoryPolicy(EcrContext& ctx, const json::object& input) {
  std::string text = string_input(input, "policyText");
  if (auto problem = iam_policy_problem(text); !problem.empty()) {
    co_return invalid_policy("PolicyText", problem);
  }
  if (auto parsed = policy::parse_document(text); !parsed) {
    co_return invalid_policy("PolicyText", parsed.error().message);
  }
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  const json::value* force = input.if_contains("force");
  if (ctx.access && !(force && force->is_bool() && force->get_bool())) {
    const access::Target target{repo->ref.registry, repo->ref.name, access::Scope::kRepository};
    auto keeps = co_await http::offload(ctx.blocking, [&] {
      return ctx.access->keeps_policy_control(ctx.caller.identity(), target, text, ctx.facts);
    });
    if (!keeps) co_return std::unexpected(to_ecr_failure(keeps.error()));
    if (!*keeps) {
      co_return invalid_policy(
          "PolicyText",
          "The repository policy would prevent you or the account root from setting the "
          "repository policy in the future; use force to set it anyway");
    }
  }
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) { s.repository_policy = text; });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  auto out = repository_answer(ctx, input, *repo);
  out["policyText"] = text;
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> GetRepositoryPolicy(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  if (!repo->settings.repository_policy) co_return no_repository_policy(ctx, input, *repo);
  auto out = repository_answer(ctx, input, *repo);
  out["policyText"] = *repo->settings.repository_policy;
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> DeleteRepositoryPolicy(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  if (!repo->settings.repository_policy) co_return no_repository_policy(ctx, input, *repo);
  std::string text = *repo->settings.repository_policy;
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) { s.repository_policy.reset(); });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  auto out = repository_answer(ctx, input, *repo);
  out["policyText"] = text;
  co_return json::value(std::move(out));
}

// ---- registry policy: kept in the registry's settings object ----

namespace {

boost::asio::awaitable<std::expected<json::object, EcrFailure>> load_registry_settings(
    EcrContext& ctx, const std::string& registry) {
  auto text = co_await http::offload(ctx.blocking,
                                     [&] { return ctx.registry.registry_settings(registry); });
  if (!text) co_return std::unexpected(to_ecr_failure(text.error()));
  boost::system::error_code ec;
  json::value doc = json::parse(*text, ec);
  co_return ec || !doc.is_object() ? json::object{} : doc.as_object();
}

boost::asio::awaitable<std::expected<void, EcrFailure>> store_registry_settings(
    EcrContext& ctx, const std::string& registry, const json::object& settings) {
  std::string text = json::serialize(settings);
  auto saved = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.update_registry_settings(registry, text);
  });
  if (!saved) co_return std::unexpected(to_ecr_failure(saved.error()));
  co_return std::expected<void, EcrFailure>{};
}

std::unexpected<EcrFailure> no_registry_policy(const std::string& id) {
  return ecr_fail("RegistryPolicyNotFoundException",
                  "Registry policy does not exist in the registry with id '" + id + "'");
}

}  // namespace

boost::asio::awaitable<EcrResult> GetRegistryPolicy(EcrContext& ctx, const json::object& input) {
  std::string registry = repository_ref(ctx, input, "").registry;
  std::string id = registry_id(ctx, input);
  auto settings = co_await load_registry_settings(ctx, registry);
  if (!settings) co_return std::unexpected(settings.error());
  auto* policy = settings->if_contains("registryPolicy");
  if (!policy || !policy->is_string()) co_return no_registry_policy(id);
  co_return json::value(json::object{{"registryId", id}, {"policyText", *policy}});
}

boost::asio::awaitable<EcrResult> PutRegistryPolicy(EcrContext& ctx, const json::object& input) {
  std::string text = string_input(input, "policyText");
  if (auto problem = iam_policy_problem(text); !problem.empty()) {
    co_return invalid_policy("PolicyText", problem);
  }
  if (auto parsed = policy::parse_document(text); !parsed) {
    co_return invalid_policy("PolicyText", parsed.error().message);
  }
  std::string registry = repository_ref(ctx, input, "").registry;
  auto settings = co_await load_registry_settings(ctx, registry);
  if (!settings) co_return std::unexpected(settings.error());
  (*settings)[access::kRegistryPolicySetting] = text;
  if (auto saved = co_await store_registry_settings(ctx, registry, *settings); !saved) {
    co_return std::unexpected(saved.error());
  }
  co_return json::value(json::object{{"registryId", registry_id(ctx, input)}, {"policyText", text}});
}

boost::asio::awaitable<EcrResult> DeleteRegistryPolicy(EcrContext& ctx, const json::object& input) {
  std::string registry = repository_ref(ctx, input, "").registry;
  std::string id = registry_id(ctx, input);
  auto settings = co_await load_registry_settings(ctx, registry);
  if (!settings) co_return std::unexpected(settings.error());
  auto* policy = settings->if_contains("registryPolicy");
  if (!policy || !policy->is_string()) co_return no_registry_policy(id);
  std::string text(policy->as_string());
  settings->erase("registryPolicy");
  if (auto saved = co_await store_registry_settings(ctx, registry, *settings); !saved) {
    co_return std::unexpected(saved.error());
  }
  co_return json::value(json::object{{"registryId", id}, {"policyText", text}});
}

}  // namespace berth::api::ecr
