#include "policy/document.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>
#include <utility>

#include "policy/wildcard.hpp"

namespace berth::policy {

namespace json = boost::json;

namespace {

std::unexpected<Error> invalid(std::string reason) {
  return fail(ErrorCode::kInvalidArgument, "Invalid policy: " + std::move(reason));
}

// A scalar as IAM reads it in Action/Resource/Condition values.
std::optional<std::string> scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return std::string(v.get_bool() ? "true" : "false");
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return std::to_string(v.get_double());
  return std::nullopt;
}

// A string or a non-empty list of strings.
Result<std::vector<std::string>> string_list(const json::value& v, std::string_view member) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
    return out;
  }
  if (!v.is_array() || v.get_array().empty()) {
    return invalid(std::string(member) + " must be a string or a non-empty list of strings");
  }
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) return invalid(std::string(member) + " must list strings only");
    out.emplace_back(e.get_string());
  }
  return out;
}

Result<PrincipalSpec> parse_principal(const json::value& v, std::string_view member) {
  PrincipalSpec spec;
  if (v.is_string()) {
    if (v.get_string() != "*") return invalid(std::string(member) + " must be \"*\" or an object");
    spec.any = true;
    return spec;
  }
  if (!v.is_object() || v.get_object().empty()) {
    return invalid(std::string(member) + " must be \"*\" or an object such as {\"AWS\": ...}");
  }
  for (const auto& [type, ids] : v.get_object()) {
    auto list = BERTH_TRY(string_list(ids, member));
    if (type == "AWS") {
      for (auto& id : list) {
        if (id == "*") spec.any = true;
        spec.aws.push_back(std::move(id));
      }
    } else if (type != "Service" && type != "Federated" && type != "CanonicalUser") {
      return invalid(std::string(member) + " type must be AWS, Service, Federated or CanonicalUser");
    }
  }
  return spec;
}

struct OperatorName {
  std::string_view name;
  ConditionOperator op;
};

constexpr std::array<OperatorName, 26> kOperators = {{
    {"StringEquals", ConditionOperator::kStringEquals},
    {"StringNotEquals", ConditionOperator::kStringNotEquals},
    {"StringEqualsIgnoreCase", ConditionOperator::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", ConditionOperator::kStringNotEqualsIgnoreCase},
    {"StringLike", ConditionOperator::kStringLike},
    {"StringNotLike", ConditionOperator::kStringNotLike},
    {"ArnEquals", ConditionOperator::kArnEquals},
    {"ArnNotEquals", ConditionOperator::kArnNotEquals},
    {"ArnLike", ConditionOperator::kArnLike},
    {"ArnNotLike", ConditionOperator::kArnNotLike},
    {"NumericEquals", ConditionOperator::kNumericEquals},
    {"NumericNotEquals", ConditionOperator::kNumericNotEquals},
    {"NumericLessThan", ConditionOperator::kNumericLessThan},
    {"NumericLessThanEquals", ConditionOperator::kNumericLessThanEquals},
    {"NumericGreaterThan", ConditionOperator::kNumericGreaterThan},
    {"NumericGreaterThanEquals", ConditionOperator::kNumericGreaterThanEquals},
    {"DateEquals", ConditionOperator::kDateEquals},
    {"DateNotEquals", ConditionOperator::kDateNotEquals},
    {"DateLessThan", ConditionOperator::kDateLessThan},
    {"DateLessThanEquals", ConditionOperator::kDateLessThanEquals},
    {"DateGreaterThan", ConditionOperator::kDateGreaterThan},
    {"DateGreaterThanEquals", ConditionOperator::kDateGreaterThanEquals},
    {"Bool", ConditionOperator::kBool},
    {"IpAddress", ConditionOperator::kIpAddress},
    {"NotIpAddress", ConditionOperator::kNotIpAddress},
    {"Null", ConditionOperator::kNull},
}};

Result<std::vector<ConditionClause>> parse_conditions(const json::value& v) {
  if (!v.is_object()) return invalid("Condition must be an object");
  std::vector<ConditionClause> out;
  for (const auto& [op_text, keys] : v.get_object()) {
    if (!keys.is_object()) return invalid("Condition operator values must be objects");
    const ConditionClause shape = parse_condition_operator(op_text);
    for (const auto& [key, values] : keys.get_object()) {
      ConditionClause clause = shape;
      clause.key = std::string(key);
      if (values.is_array()) {
        for (const auto& e : values.get_array()) {
          auto text = scalar_text(e);
          if (!text) return invalid("Condition values must be strings, numbers or booleans");
          clause.values.push_back(std::move(*text));
        }
      } else if (auto text = scalar_text(values)) {
        clause.values.push_back(std::move(*text));
      } else {
        return invalid("Condition values must be strings, numbers or booleans");
      }
      out.push_back(std::move(clause));
    }
  }
  return out;
}

// Exactly one of `name` and `not_name` (or neither when optional).
const json::value* one_of(const json::object& o, std::string_view name, std::string_view not_name,
                          bool& negated, bool& both) {
  const json::value* plain = o.if_contains(name);
  const json::value* negative = o.if_contains(not_name);
  both = plain && negative;
  negated = negative != nullptr && plain == nullptr;
  return plain ? plain : negative;
}

Result<Statement> parse_statement(const json::value& v) {
  if (!v.is_object()) return invalid("each Statement must be an object");
  const json::object& o = v.get_object();
  Statement s;
  if (const auto* sid = o.if_contains("Sid")) {
    if (!sid->is_string()) return invalid("Sid must be a string");
    s.sid = std::string(sid->get_string());
  }
  const auto* effect = o.if_contains("Effect");
  if (!effect || !effect->is_string() ||
      (effect->get_string() != "Allow" && effect->get_string() != "Deny")) {
    return invalid("Statement Effect must be Allow or Deny");
  }
  s.effect = effect->get_string() == "Allow" ? Effect::kAllow : Effect::kDeny;

  bool both = false;
  if (const auto* p = one_of(o, "Principal", "NotPrincipal", s.not_principal, both)) {
    if (both) return invalid("Statement has both Principal and NotPrincipal");
    s.principal = BERTH_TRY(parse_principal(*p, s.not_principal ? "NotPrincipal" : "Principal"));
  }
  const auto* action = one_of(o, "Action", "NotAction", s.not_action, both);
  if (both) return invalid("Statement has both Action and NotAction");
  if (!action) return invalid("Statement must have an Action");
  s.actions = BERTH_TRY(string_list(*action, "Action"));
  if (const auto* r = one_of(o, "Resource", "NotResource", s.not_resource, both)) {
    if (both) return invalid("Statement has both Resource and NotResource");
    s.resources = BERTH_TRY(string_list(*r, "Resource"));
    s.has_resource = true;
  }
  if (const auto* c = o.if_contains("Condition")) s.conditions = BERTH_TRY(parse_conditions(*c));
  return s;
}

}  // namespace

ConditionClause parse_condition_operator(std::string_view text) {
  ConditionClause clause;
  constexpr std::string_view kAny = "ForAnyValue:";
  constexpr std::string_view kAll = "ForAllValues:";
  constexpr std::string_view kIfExists = "IfExists";
  if (text.starts_with(kAny)) {
    clause.qualifier = SetQualifier::kForAnyValue;
    text.remove_prefix(kAny.size());
  } else if (text.starts_with(kAll)) {
    clause.qualifier = SetQualifier::kForAllValues;
    text.remove_prefix(kAll.size());
  }
  if (text.ends_with(kIfExists) && text != kIfExists) {
    clause.if_exists = true;
    text.remove_suffix(kIfExists.size());
  }
  for (const auto& entry : kOperators) {
    if (entry.name == text) clause.op = entry.op;
  }
  // "NullIfExists" is not an operator.
  if (clause.op == ConditionOperator::kNull && clause.if_exists) clause.op = ConditionOperator::kUnknown;
  return clause;
}

Result<Document> parse_document(std::string_view text) {
  if (text.size() > kMaxPolicyBytes) return invalid("the document is too large");
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::value doc = json::parse(text, ec, {}, options);
  if (ec || !doc.is_object()) return invalid("not a JSON object");
  const json::object& o = doc.get_object();
  Document out;
  if (const auto* v = o.if_contains("Version")) {
    if (!v->is_string() || (v->get_string() != "2012-10-17" && v->get_string() != "2008-10-17")) {
      return invalid("Version must be 2012-10-17 or 2008-10-17");
    }
    out.version = std::string(v->get_string());
  }
  const auto* statements = o.if_contains("Statement");
  if (!statements) return invalid("missing Statement");
  if (statements->is_array()) {
    if (statements->get_array().empty()) return invalid("Statement is empty");
    for (const auto& s : statements->get_array()) out.statements.push_back(BERTH_TRY(parse_statement(s)));
  } else {
    out.statements.push_back(BERTH_TRY(parse_statement(*statements)));
  }
  return out;
}

}  // namespace berth::policy
