// Document: an IAM policy (identity, repository or registry policy) parsed
// once into the shape the evaluator walks, so deciding a request never
// touches JSON. The subset is what ECR policies use:
//
//   Version (2012-10-17 or 2008-10-17), Statement (an object or a list of
//   them), Sid, Effect (Allow | Deny), Principal | NotPrincipal ("*" or
//   {"AWS": <string or list>}, other principal types are kept but never
//   match a berth caller), Action | NotAction, Resource | NotResource
//   (strings or lists, `*` and `?` wildcards), Condition
//   ({operator: {key: value or list}}).
//
// Condition operators are parsed into their parts: an optional set
// qualifier (ForAnyValue: / ForAllValues:), the base operator and an
// optional IfExists suffix. An operator berth does not know parses (the
// policy was valid for IAM) but its clause never holds, so an Allow that
// depends on it grants nothing and a Deny that depends on it denies
// nothing, as IAM treats a condition it cannot evaluate.
//
// Thread-safety: a Document is an immutable value once parsed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace berth::policy {

enum class Effect { kAllow, kDeny };

enum class ConditionOperator {
  kUnknown,
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kArnEquals,
  kArnNotEquals,
  kArnLike,
  kArnNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kIpAddress,
  kNotIpAddress,
  kNull,
};

enum class SetQualifier { kNone, kForAnyValue, kForAllValues };

struct ConditionClause {
  ConditionOperator op = ConditionOperator::kUnknown;
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  std::string key;                  // as written; keys compare case-insensitively
  std::vector<std::string> values;  // booleans and numbers as their JSON text
};

// Who a statement names. `any` is "*" (or {"AWS": "*"}); `aws` holds account
// ids and IAM ARNs. Service, Federated and CanonicalUser entries are
// dropped: berth callers are never such principals.
struct PrincipalSpec {
  bool any = false;
  std::vector<std::string> aws;
};

struct Statement {
  std::string sid;
  Effect effect = Effect::kAllow;
  // Absent in identity policies; a resource policy statement without one
  // matches nobody.
  std::optional<PrincipalSpec> principal;
  bool not_principal = false;
  std::vector<std::string> actions;
  bool not_action = false;
  // Empty with has_resource false: the statement applies to the resource
  // the policy is attached to (resource policies usually omit Resource).
  std::vector<std::string> resources;
  bool has_resource = false;
  bool not_resource = false;
  std::vector<ConditionClause> conditions;
};

struct Document {
  std::string version;
  std::vector<Statement> statements;
};

// Limits that keep a hostile document cheap (ECR caps repository policies
// at 10,240 characters; identity policies come from the operator).
inline constexpr std::size_t kMaxPolicyBytes = 128 * 1024;
inline constexpr std::size_t kMaxJsonDepth = 16;

// Parses `text`. kInvalidArgument with a reason worded for ECR's
// InvalidParameterException ("Invalid policy: ...") when it is not JSON,
// not an object, or a member has the wrong type or value.
Result<Document> parse_document(std::string_view text);

// The operator part of a Condition key such as "ForAnyValue:StringLikeIfExists".
ConditionClause parse_condition_operator(std::string_view text);

}  // namespace berth::policy
