#include "api/ecr/authorization.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "api/ecr/repository_settings.hpp"
#include "http/offload.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

std::string_view string_or_empty(const json::object& input, std::string_view key) {
  const json::value* v = input.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string_view(v->get_string().data(), v->get_string().size());
}

// The actions a registry policy governs (ECR registry permissions).
bool registry_governed(std::string_view operation) {
  return operation == "CreateRepository" || operation == "ReplicateImage" ||
         operation == "BatchImportUpstreamImage";
}

void read_tags(const json::object& input, AuthorizationRequest& out) {
  if (const json::value* tags = input.if_contains("tags"); tags && tags->is_array()) {
    for (const json::value& tag : tags->get_array()) {
      if (!tag.is_object()) continue;
      std::string key(string_or_empty(tag.get_object(), "Key"));
      std::string value(string_or_empty(tag.get_object(), "Value"));
      out.tag_keys.push_back(key);
      out.request_tags.emplace_back(std::move(key), std::move(value));
    }
  }
  if (const json::value* keys = input.if_contains("tagKeys"); keys && keys->is_array()) {
    for (const json::value& key : keys->get_array()) {
      if (key.is_string()) out.tag_keys.emplace_back(key.get_string().data(), key.get_string().size());
    }
  }
}

}  // namespace

std::expected<AuthorizationRequest, EcrFailure> authorization_request(
    const EcrContext& ctx, std::string_view operation, const json::object& input) {
  AuthorizationRequest out;
  // Every key may ask for a registry password: it grants nothing by
  // itself, each /v2/ request with it is decided for the same identity.
  // (IAM would want ecr:GetAuthorizationToken in an identity policy, which
  // a user or role granted only by repository policies does not have.)
  if (operation == "GetAuthorizationToken") return out;
  read_tags(input, out);
  const std::string registry = repository_ref(ctx, input, "").registry;
  if (const std::string_view arn = string_or_empty(input, "resourceArn"); !arn.empty()) {
    auto ref = parse_repository_arn(arn);
    if (!ref) return std::unexpected(ref.error());
    out.targets.push_back({ref->registry, ref->name, access::Scope::kRepository});
    return out;
  }
  const std::string_view name = string_or_empty(input, "repositoryName");
  if (registry_governed(operation)) {
    out.targets.push_back({registry, std::string(name), access::Scope::kRegistry});
  } else if (!name.empty()) {
    out.targets.push_back({registry, std::string(name), access::Scope::kRepository});
  } else if (operation == "DescribeRepositories") {
    const json::value* names = input.if_contains("repositoryNames");
    if (names && names->is_array() && !names->get_array().empty()) {
      for (const json::value& n : names->get_array()) {
        if (n.is_string()) {
          out.targets.push_back({registry, std::string(n.get_string().data(), n.get_string().size()),
                                 access::Scope::kRepository});
        }
      }
    } else {
      out.targets.push_back({registry, "", access::Scope::kRepositories});
    }
  } else {
    out.targets.push_back({registry, "", access::Scope::kAccount});
  }
  return out;
}

bool decides_in_handler(std::string_view operation) {
  return operation == "BatchGetImage";
}

std::expected<EcrContext::DeferredAuthorization, EcrFailure> deferred_authorization(
    const EcrContext& ctx, access::AccessControl& access, std::string_view operation,
    const json::object& input, const access::RequestFacts& facts) {
  auto request = authorization_request(ctx, operation, input);
  if (!request) return std::unexpected(request.error());
  // Owned by the function: the handler runs it after this frame is gone.
  struct Pending {
    AuthorizationRequest request;
    std::string action;
    auth::Identity who;
    access::RequestFacts facts;
  };
  auto pending = std::make_shared<Pending>(
      Pending{std::move(*request), "ecr:" + std::string(operation), ctx.caller.identity(), facts});
  pending->facts.request_tags = &pending->request.request_tags;
  pending->facts.tag_keys = &pending->request.tag_keys;
  return [&access, pending](std::optional<registry::RepositoryRecord>& repository_read) -> Status {
    const std::string_view action = pending->action;
    for (const access::Target& target : pending->request.targets) {
      if (target.scope == access::Scope::kRepository && pending->request.targets.size() == 1) {
        return access.authorize_any(pending->who, std::span<const std::string_view>(&action, 1),
                                    target, pending->facts, repository_read);
      }
      BERTH_TRY_STATUS(access.authorize(pending->who, action, target, pending->facts));
    }
    return ok();
  };
}

boost::asio::awaitable<std::expected<void, EcrFailure>> authorize_operation(
    EcrContext& ctx, access::AccessControl& access, std::string_view operation,
    const json::object& input, const access::RequestFacts& facts) {
  // The same decision a handler runs when deferred, in a hop of its own.
  auto decide = deferred_authorization(ctx, access, operation, input, facts);
  if (!decide) co_return std::unexpected(std::move(decide).error());
  Status decided = co_await http::offload(ctx.blocking, [&]() -> Status {
    std::optional<registry::RepositoryRecord> unused;
    return (*decide)(unused);
  });
  if (!decided) co_return std::unexpected(to_ecr_failure(decided.error()));
  co_return std::expected<void, EcrFailure>{};
}

}  // namespace berth::api::ecr
