// The evaluator: what one policy says about a request, and the decision
// AWS makes from the identity policy and the resource policy together.
//
// evaluate() walks the statements that apply (principal, action, resource
// and every condition match) and reports kDeny if any Deny applies, else
// kAllow if any Allow applies, else kNotApplicable.
//
// decide() combines, as IAM does for resource-based policies:
//   1. an explicit Deny in either policy wins;
//   2. within one account (the caller's account owns the resource) an
//      Allow from the identity side OR from the resource policy suffices;
//   3. across accounts the resource policy must Allow AND, when the caller
//      has an identity policy, that policy must Allow too.
// The identity side of an account root with no identity policy allows
// everything in its own account; a user or role without one allows
// nothing (only resource policies can grant it something).
//
// Thread-safety: pure functions over immutable Documents.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "policy/document.hpp"
#include "policy/request_context.hpp"

namespace berth::policy {

enum class PolicyKind {
  kIdentity,  // attached to the caller: Principal is not used
  kResource,  // attached to a repository or registry: Principal must match
};

enum class Verdict { kNotApplicable, kAllow, kDeny };

Verdict evaluate(const Document& document, PolicyKind kind, const RequestContext& request);

enum class Decision {
  kAllow,
  kExplicitDenyResource,  // a resource policy denies
  kExplicitDenyIdentity,  // the caller's identity policy denies
  kNoIdentityAllow,       // nothing on the caller's side allows
  kNoResourceAllow,       // cross-account: the resource policy does not allow
};

struct Caller {
  bool is_root = false;                     // an account root principal
  const Document* identity_policy = nullptr;  // null: none
};

// `resource_policy` null: the resource has none. `resource_account`: the
// account that owns the resource.
Decision decide(const RequestContext& request, const Caller& caller,
                const Document* resource_policy, std::string_view resource_account);

// As above with every resource-based policy that governs the resource (a
// repository policy and, under registry policy scope V2, the registry
// policy; null entries are skipped): a Deny in any of them wins, an Allow
// in any of them is the resource side's Allow.
Decision decide(const RequestContext& request, const Caller& caller,
                std::span<const Document* const> resource_policies,
                std::string_view resource_account);

inline bool allowed(Decision d) { return d == Decision::kAllow; }

// AWS's wording: "User: <arn> is not authorized to perform: <action> on
// resource: <resource> because no resource-based policy allows the <action>
// action" (and the explicit-deny and identity-based variants).
std::string denial_message(Decision decision, std::string_view principal_arn,
                           std::string_view action, std::string_view resource);

}  // namespace berth::policy
