#include "access/access_control.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>

#include "policy/arn.hpp"
#include "registry/account_settings.hpp"
#include "util/log.hpp"
#include "util/time.hpp"

namespace berth::access {

namespace json = boost::json;

struct AccessControl::Loaded {
  std::shared_ptr<const policy::Document> resource_policy;  // null: none
  // The registry policy beside a repository's own under registry policy
  // scope V2 (registry/account_settings.hpp); null: none or scope V1.
  std::shared_ptr<const policy::Document> registry_policy;
  policy::Tags tags;
};

namespace {

std::pair<std::string_view, std::string_view> split_registry(std::string_view registry) {
  const auto colon = registry.find(':');
  if (colon == std::string_view::npos) return {registry, {}};
  return {registry.substr(0, colon), registry.substr(colon + 1)};
}

// A member "<name>": "<text>" of a settings object, if present.
const json::string* string_member(const json::value& doc, std::string_view name) {
  if (!doc.is_object()) return nullptr;
  const json::value* v = doc.get_object().if_contains(name);
  return v && v->is_string() ? &v->get_string() : nullptr;
}

bool mentions(std::string_view settings_json, std::string_view member) {
  // A cheap pre-check before parsing: the member name in quotes.
  std::string quoted = "\"";
  quoted.append(member);
  quoted.push_back('"');
  return settings_json.find(quoted) != std::string_view::npos;
}

}  // namespace

std::string AccessControl::resource_arn(const Target& target) {
  const auto [account, region] = split_registry(target.registry);
  switch (target.scope) {
    case Scope::kRepository:
    case Scope::kRegistry:
      return policy::repository_arn(region, account,
                                    target.repository.empty() ? "*" : target.repository);
    case Scope::kRepositories:
      return policy::repository_arn(region, account, "*");
    case Scope::kAccount:
      break;
  }
  return "*";
}

Result<AccessControl::Loaded> AccessControl::load(
    const Target& target, bool want_tags,
    std::optional<registry::RepositoryRecord>* repository_read) {
  if (target.scope == Scope::kRegistry) {
    // The registry-governed actions: the registry policy is the resource
    // policy, whatever the scope setting says.
    const std::string settings = BERTH_TRY(registry_.registry_settings(target.registry));
    return parse_settings(target, settings, kRegistryPolicySetting, false);
  }
  Loaded loaded;
  if (target.scope == Scope::kRepository) {
    auto record = registry_.repository({target.registry, target.repository});
    if (record) {
      loaded = parse_settings(target, record->settings_json, kRepositoryPolicySetting, want_tags);
      if (repository_read) *repository_read = std::move(*record);
    } else {
      const ErrorCode code = record.error().code;
      // No repository, no policy of its own: the handler reports the name.
      if (code != ErrorCode::kRepositoryNotFound && code != ErrorCode::kNameInvalid) {
        return std::unexpected(std::move(record).error());
      }
    }
  }
  BERTH_TRY_STATUS(add_registry_policy(target, loaded));
  return loaded;
}

Status AccessControl::add_registry_policy(const Target& target, Loaded& loaded) {
  const std::string settings = BERTH_TRY(registry_.registry_settings(target.registry));
  if (!mentions(settings, kRegistryPolicySetting) ||
      !registry::registry_policy_applies_everywhere(settings)) {
    return ok();
  }
  const Target registry_target{target.registry, target.repository, Scope::kRegistry};
  loaded.registry_policy =
      parse_settings(registry_target, settings, kRegistryPolicySetting, false).resource_policy;
  return ok();
}

AccessControl::Loaded AccessControl::parse_settings(const Target& target,
                                                    std::string_view settings,
                                                    std::string_view member, bool want_tags) {
  Loaded loaded;
  const bool has_policy = mentions(settings, member);
  // Nothing to parse without a policy or tags (most records of a listing).
  if (!has_policy && !(want_tags && mentions(settings, kResourceTagsSetting))) return loaded;
  // Tags matter to conditions, of the resource policy or the identity's.
  want_tags = want_tags || (has_policy && target.scope == Scope::kRepository);
  boost::system::error_code ec;
  const json::value doc = json::parse(settings, ec);
  if (ec) return loaded;
  if (const json::string* text = string_member(doc, member)) {
    auto parsed = cache_.get(std::string_view(text->data(), text->size()));
    if (parsed) {
      loaded.resource_policy = std::move(*parsed);
    } else {
      // Stored before policies were enforced, by a laxer validator: it
      // grants nothing and denies nothing; the owner can replace it.
      log::warn("the {} of {} {} does not parse and is ignored: {}", member, target.registry,
                target.repository, parsed.error().message);
    }
  }
  if (want_tags && doc.is_object()) {
    if (const json::value* tags = doc.get_object().if_contains(kResourceTagsSetting);
        tags && tags->is_array()) {
      for (const json::value& tag : tags->get_array()) {
        const json::string* key = string_member(tag, "Key");
        const json::string* value = string_member(tag, "Value");
        if (key && value) {
          loaded.tags.emplace_back(std::string(key->data(), key->size()),
                                   std::string(value->data(), value->size()));
        }
      }
    }
  }
  return loaded;
}

policy::Decision AccessControl::decide(const auth::Identity& who, std::string_view action,
                                       const Target& target, const Loaded& loaded,
                                       const RequestFacts& facts) {
  const std::string principal_arn = who.arn();
  const std::string resource = resource_arn(target);
  policy::RequestContext request;
  request.principal_arn = principal_arn;
  request.principal_account = who.account_id;
  request.username = who.username();
  request.action = action;
  request.resource = resource;
  request.source_ip = facts.source_ip;
  request.secure_transport = facts.secure_transport;
  request.current_time_ms = now_ms();
  request.resource_tags = &loaded.tags;
  request.request_tags = facts.request_tags;
  request.tag_keys = facts.tag_keys;
  const policy::Caller caller{who.is_root(), who.identity_policy.get()};
  const policy::Document* const resource_policies[] = {loaded.resource_policy.get(),
                                                       loaded.registry_policy.get()};
  return policy::decide(request, caller, resource_policies, split_registry(target.registry).first);
}

Status AccessControl::authorize(const auth::Identity& who, std::string_view action,
                                const Target& target, const RequestFacts& facts) {
  return authorize_any(who, std::span<const std::string_view>(&action, 1), target, facts);
}

Status AccessControl::authorize_any(const auth::Identity& who,
                                    std::span<const std::string_view> actions,
                                    const Target& target, const RequestFacts& facts) {
  const Loaded loaded = BERTH_TRY(load(target, who.identity_policy != nullptr));
  return first_allowed(who, actions, target, loaded, facts);
}

Status AccessControl::authorize_any(const auth::Identity& who,
                                    std::span<const std::string_view> actions,
                                    const Target& target, const RequestFacts& facts,
                                    std::optional<registry::RepositoryRecord>& repository_read) {
  const Loaded loaded = BERTH_TRY(load(target, who.identity_policy != nullptr, &repository_read));
  return first_allowed(who, actions, target, loaded, facts);
}

Status AccessControl::authorize_with_settings(const auth::Identity& who, std::string_view action,
                                              const Target& target,
                                              std::string_view settings_json,
                                              const RequestFacts& facts) {
  Loaded loaded = parse_settings(target, settings_json, kRepositoryPolicySetting,
                                 who.identity_policy != nullptr);
  BERTH_TRY_STATUS(add_registry_policy(target, loaded));
  return first_allowed(who, std::span<const std::string_view>(&action, 1), target, loaded, facts);
}

Status AccessControl::first_allowed(const auth::Identity& who,
                                    std::span<const std::string_view> actions,
                                    const Target& target, const Loaded& loaded,
                                    const RequestFacts& facts) {
  std::optional<policy::Decision> first;
  for (std::string_view action : actions) {
    const policy::Decision decision = decide(who, action, target, loaded, facts);
    if (policy::allowed(decision)) return ok();
    if (!first) first = decision;
  }
  if (!first) return ok();
  return fail(ErrorCode::kDenied,
              policy::denial_message(*first, who.arn(), actions.front(), resource_arn(target)),
              std::string(kAccessDenied));
}

Result<bool> AccessControl::keeps_policy_control(const auth::Identity& who, const Target& target,
                                                 std::string_view policy_text,
                                                 const RequestFacts& facts) {
  Loaded loaded = BERTH_TRY(load(target, true));
  loaded.resource_policy = BERTH_TRY(cache_.get(policy_text));
  constexpr std::string_view kAction = "ecr:SetRepositoryPolicy";
  auth::Identity owner;
  owner.account_id = std::string(split_registry(target.registry).first);
  const auth::Identity* const candidates[] = {&who, &owner};
  for (const auth::Identity* identity : candidates) {
    if (!policy::allowed(decide(*identity, kAction, target, loaded, facts))) return false;
  }
  return true;
}

}  // namespace berth::access
