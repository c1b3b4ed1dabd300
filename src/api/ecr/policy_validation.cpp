#include "api/ecr/policy_validation.hpp"

#include <boost/json.hpp>

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

bool is_string_or_string_list(const json::value& v) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.as_array().empty()) return false;
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) return false;
  }
  return true;
}

std::string statement_problem(const json::value& s) {
  if (!s.is_object()) return "each Statement must be an object";
  const auto& o = s.as_object();
  auto* effect = o.if_contains("Effect");
  if (!effect || !effect->is_string() ||
      (effect->as_string() != "Allow" && effect->as_string() != "Deny")) {
    return "Statement Effect must be Allow or Deny";
  }
  if (!o.contains("Principal") && !o.contains("NotPrincipal")) {
    return "Statement must name a Principal";
  }
  auto* action = o.if_contains("Action");
  auto* not_action = o.if_contains("NotAction");
  if (!action && !not_action) return "Statement must have an Action";
  if ((action && !is_string_or_string_list(*action)) ||
      (not_action && !is_string_or_string_list(*not_action))) {
    return "Statement Action must be a string or a list of strings";
  }
  return {};
}

}  // namespace

std::string iam_policy_problem(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  json::value doc = json::parse(text, ec, {}, options);
  if (ec || !doc.is_object()) return "Invalid policy: not a JSON object";
  const auto& o = doc.as_object();
  if (auto* v = o.if_contains("Version")) {
    if (!v->is_string() || (v->as_string() != "2012-10-17" && v->as_string() != "2008-10-17")) {
      return "Invalid policy: Version must be 2012-10-17 or 2008-10-17";
    }
  }
  auto* statements = o.if_contains("Statement");
  if (!statements) return "Invalid policy: missing Statement";
  if (statements->is_array()) {
    if (statements->as_array().empty()) return "Invalid policy: Statement is empty";
    for (const auto& s : statements->as_array()) {
      if (auto p = statement_problem(s); !p.empty()) return "Invalid policy: " + p;
    }
  } else if (auto p = statement_problem(*statements); !p.empty()) {
    return "Invalid policy: " + p;
  }
  return {};
}

}  // namespace berth::api::ecr
