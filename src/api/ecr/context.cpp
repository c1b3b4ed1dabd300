// repository_ref and registry_id (declared in operation.hpp): how an ECR
// request names the store namespace it addresses. A registry is an (account,
// region) pair; its store namespace is exactly "<account_id>:<region>", the
// same form app::Config::default_registry_id() gives the /v2/ side, so both
// protocols see one set of repositories.
#include <string>

#include "api/ecr/operation.hpp"

namespace berth::api::ecr {

std::string registry_id(const EcrContext& ctx, const boost::json::object& input) {
  // The model validated registryId ([0-9]{12}) before the handler ran.
  if (const auto* id = input.if_contains("registryId"); id && id->is_string()) {
    return std::string(id->as_string());
  }
  return ctx.caller.account_id;
}

registry::RepositoryRef repository_ref(const EcrContext& ctx, const boost::json::object& input,
                                       std::string_view repository_name) {
  const std::string& region =
      ctx.caller.region.empty() ? ctx.settings.default_region : ctx.caller.region;
  return registry::RepositoryRef{registry_id(ctx, input) + ":" + region,
                                 std::string(repository_name)};
}

}  // namespace berth::api::ecr
