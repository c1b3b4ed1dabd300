#include "api/ecr/policy_validation.hpp"

#include <boost/json.hpp>
#include <set>

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

std::string selection_problem(const json::object& sel) {
  auto* status = sel.if_contains("tagStatus");
  if (!status || !status->is_string()) return "object has missing required properties ([\"tagStatus\"])";
  std::string_view ts = status->as_string();
  if (ts != "tagged" && ts != "untagged" && ts != "any") {
    return "tagStatus must be one of tagged, untagged, any";
  }
  bool has_lists = sel.contains("tagPrefixList") || sel.contains("tagPatternList");
  if (ts == "tagged" && !has_lists) {
    return "tagPrefixList or tagPatternList is required when tagStatus is tagged";
  }
  if (ts != "tagged" && has_lists) {
    return "tagPrefixList and tagPatternList are only allowed when tagStatus is tagged";
  }
  for (std::string_view list : {"tagPrefixList", "tagPatternList"}) {
    if (auto* l = sel.if_contains(list)) {
      if (!l->is_array() || l->as_array().empty()) return std::string(list) + " must be a non-empty list";
      for (const auto& e : l->as_array()) {
        if (!e.is_string() || e.as_string().empty()) return std::string(list) + " entries must be strings";
        if (list == "tagPatternList" &&
            std::count(e.as_string().begin(), e.as_string().end(), '*') > 4) {
          return "tagPatternList entries may have at most 4 wildcards";
        }
      }
    }
  }
  auto* count_type = sel.if_contains("countType");
  if (!count_type || !count_type->is_string()) {
    return "object has missing required properties ([\"countType\"])";
  }
  std::string_view ct = count_type->as_string();
  static const std::set<std::string_view> kCountTypes = {
      "imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"};
  if (!kCountTypes.contains(ct)) return "countType is not a known count type";
  auto* number = sel.if_contains("countNumber");
  if (!number || !number->is_int64() || number->as_int64() <= 0) {
    return "countNumber must be a positive integer";
  }
  bool age_based = ct != "imageCountMoreThan";
  auto* unit = sel.if_contains("countUnit");
  if (age_based && (!unit || !unit->is_string() || unit->as_string() != "days")) {
    return "countUnit must be days for age-based count types";
  }
  if (!age_based && unit) return "countUnit is only allowed with age-based count types";
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

std::string lifecycle_policy_problem(std::string_view text) {
  constexpr std::string_view kPrefix = "Lifecycle policy validation failure: ";
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  json::value doc = json::parse(text, ec, {}, options);
  if (ec || !doc.is_object()) return std::string(kPrefix) + "not a JSON object";
  auto* rules = doc.as_object().if_contains("rules");
  if (!rules) return std::string(kPrefix) + "object has missing required properties ([\"rules\"])";
  if (!rules->is_array() || rules->as_array().empty()) {
    return std::string(kPrefix) + "rules must be a non-empty list";
  }
  if (rules->as_array().size() > 50) return std::string(kPrefix) + "at most 50 rules are allowed";
  std::set<std::int64_t> priorities;
  std::int64_t any_priority = -1, max_priority = -1;
  int untagged_rules = 0;
  for (const auto& r : rules->as_array()) {
    if (!r.is_object()) return std::string(kPrefix) + "each rule must be an object";
    const auto& rule = r.as_object();
    auto* priority = rule.if_contains("rulePriority");
    if (!priority || !priority->is_int64() || priority->as_int64() < 1) {
      return std::string(kPrefix) + "rulePriority must be a positive integer";
    }
    std::int64_t p = priority->as_int64();
    if (!priorities.insert(p).second) {
      return std::string(kPrefix) + "rulePriority " + std::to_string(p) + " is used by more than one rule";
    }
    max_priority = std::max(max_priority, p);
    auto* selection = rule.if_contains("selection");
    if (!selection || !selection->is_object()) {
      return std::string(kPrefix) + "object has missing required properties ([\"selection\"])";
    }
    if (auto problem = selection_problem(selection->as_object()); !problem.empty()) {
      return std::string(kPrefix) + problem;
    }
    std::string_view status = selection->as_object().at("tagStatus").as_string();
    if (status == "any") any_priority = p;
    if (status == "untagged") ++untagged_rules;
    auto* action = rule.if_contains("action");
    if (!action || !action->is_object()) {
      return std::string(kPrefix) + "object has missing required properties ([\"action\"])";
    }
    auto* type = action->as_object().if_contains("type");
    if (!type || !type->is_string() ||
        (type->as_string() != "expire" && type->as_string() != "transition")) {
      return std::string(kPrefix) + "action type must be expire or transition";
    }
  }
  if (any_priority != -1 && any_priority != max_priority) {
    return std::string(kPrefix) + "a rule with tagStatus any must have the highest rulePriority";
  }
  if (untagged_rules > 1) return std::string(kPrefix) + "only one rule may select untagged images";
  return {};
}

}  // namespace berth::api::ecr
