#include "policy/evaluator.hpp"

#include <algorithm>

#include "policy/condition.hpp"
#include "policy/wildcard.hpp"

namespace berth::policy {

namespace {

bool is_account_id(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An entry of Principal {"AWS": ...}: "*", an account id or the account's
// root ARN (every principal of that account), or an exact user/role ARN.
bool principal_entry_matches(std::string_view entry, const RequestContext& r) {
  if (entry == "*") return true;
  if (is_account_id(entry)) return entry == r.principal_account;
  constexpr std::string_view kIam = "arn:aws:iam::";
  if (entry.starts_with(kIam) && entry.ends_with(":root")) {
    return entry.substr(kIam.size(), entry.size() - kIam.size() - 5) == r.principal_account;
  }
  return entry == r.principal_arn;
}

bool principal_matches(const Statement& s, const RequestContext& r) {
  if (!s.principal) return false;
  const PrincipalSpec& spec = *s.principal;
  const bool listed =
      spec.any || std::any_of(spec.aws.begin(), spec.aws.end(),
                              [&](const std::string& e) { return principal_entry_matches(e, r); });
  return s.not_principal ? !listed : listed;
}

bool action_matches(const Statement& s, const RequestContext& r) {
  const bool listed = std::any_of(s.actions.begin(), s.actions.end(), [&](const std::string& p) {
    return wildcard_match(p, r.action, /*ignore_case=*/true);
  });
  return s.not_action ? !listed : listed;
}

bool resource_matches(const Statement& s, const RequestContext& r) {
  if (!s.has_resource) return true;  // the resource the policy is attached to
  const bool listed = std::any_of(s.resources.begin(), s.resources.end(), [&](const std::string& p) {
    return wildcard_match(p, r.resource);
  });
  return s.not_resource ? !listed : listed;
}

bool applies(const Statement& s, PolicyKind kind, const RequestContext& r) {
  if (kind == PolicyKind::kResource && !principal_matches(s, r)) return false;
  if (!action_matches(s, r) || !resource_matches(s, r)) return false;
  return std::all_of(s.conditions.begin(), s.conditions.end(),
                     [&](const ConditionClause& c) { return condition_holds(c, r); });
}

}  // namespace

Verdict evaluate(const Document& document, PolicyKind kind, const RequestContext& request) {
  Verdict verdict = Verdict::kNotApplicable;
  for (const Statement& s : document.statements) {
    if (!applies(s, kind, request)) continue;
    if (s.effect == Effect::kDeny) return Verdict::kDeny;
    verdict = Verdict::kAllow;
  }
  return verdict;
}

Decision decide(const RequestContext& request, const Caller& caller,
                const Document* resource_policy, std::string_view resource_account) {
  return decide(request, caller, std::span<const Document* const>(&resource_policy, 1),
                resource_account);
}

Decision decide(const RequestContext& request, const Caller& caller,
                std::span<const Document* const> resource_policies,
                std::string_view resource_account) {
  Verdict resource = Verdict::kNotApplicable;
  for (const Document* policy : resource_policies) {
    if (policy == nullptr) continue;
    const Verdict verdict = evaluate(*policy, PolicyKind::kResource, request);
    if (verdict == Verdict::kDeny) return Decision::kExplicitDenyResource;
    if (verdict == Verdict::kAllow) resource = Verdict::kAllow;
  }
  const Verdict identity = caller.identity_policy
                               ? evaluate(*caller.identity_policy, PolicyKind::kIdentity, request)
                               : Verdict::kNotApplicable;
  if (identity == Verdict::kDeny) return Decision::kExplicitDenyIdentity;

  if (request.principal_account == resource_account) {
    // An account root has every permission in its own account; an identity
    // policy it was given can only take some away (its Deny, above).
    if (caller.is_root || identity == Verdict::kAllow || resource == Verdict::kAllow) {
      return Decision::kAllow;
    }
    return Decision::kNoIdentityAllow;
  }
  if (resource != Verdict::kAllow) return Decision::kNoResourceAllow;
  if (caller.identity_policy && identity != Verdict::kAllow) return Decision::kNoIdentityAllow;
  return Decision::kAllow;
}

std::string denial_message(Decision decision, std::string_view principal_arn,
                           std::string_view action, std::string_view resource) {
  std::string out = "User: " + std::string(principal_arn) + " is not authorized to perform: " +
                    std::string(action) + " on resource: " + std::string(resource);
  switch (decision) {
    case Decision::kExplicitDenyResource:
      return out + " with an explicit deny in a resource-based policy";
    case Decision::kExplicitDenyIdentity:
      return out + " with an explicit deny in an identity-based policy";
    case Decision::kNoIdentityAllow:
      return out + " because no identity-based policy allows the " + std::string(action) + " action";
    case Decision::kNoResourceAllow:
      return out + " because no resource-based policy allows the " + std::string(action) + " action";
    case Decision::kAllow:
      break;
  }
  return out;
}

}  // namespace berth::policy
