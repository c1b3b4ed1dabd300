#include "lifecycle/policy.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <initializer_list>
#include <map>
#include <set>
#include <utility>

namespace berth::lifecycle {

namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "Lifecycle policy validation failure: ";
constexpr std::string_view kOneOf = "instance failed to match exactly one schema (matched 0 out of 2)";

Error invalid(std::string reason) {
  return Error{ErrorCode::kInvalidArgument, std::string(kPrefix) + reason, {}};
}

// JSON-schema type names, as the validator ECR uses prints them.
std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "null";
}

Error wrong_type(const json::value& v, std::string_view allowed) {
  return invalid("instance type (" + std::string(type_name(v)) +
                 ") does not match any allowed primitive type (allowed: [\"" +
                 std::string(allowed) + "\"])");
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"" + names[i] + "\"";
  }
  return out + "]";
}

// Required members present and no others, as a schema with
// additionalProperties false checks them (missing ones first, names sorted).
Status check_members(const json::object& o, std::initializer_list<std::string_view> required,
                     std::initializer_list<std::string_view> optional) {
  std::vector<std::string> missing;
  for (std::string_view r : required) {
    if (!o.contains(r)) missing.emplace_back(r);
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    return std::unexpected(
        invalid("object has missing required properties (" + quoted_list(missing) + ")"));
  }
  std::vector<std::string> unknown;
  for (const auto& [key, value] : o) {
    auto known = [&](std::initializer_list<std::string_view> names) {
      return std::find(names.begin(), names.end(), std::string_view(key)) != names.end();
    };
    if (!known(required) && !known(optional)) unknown.emplace_back(key);
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    return std::unexpected(invalid(
        "object instance has properties which are not allowed by the schema: (" +
        quoted_list(unknown) + ")"));
  }
  return ok();
}

// One of `values`, in the validator's words.
Result<std::string> enum_member(const json::value& v, std::vector<std::string> values) {
  if (!v.is_string()) return std::unexpected(wrong_type(v, "string"));
  std::string text(v.get_string());
  if (std::find(values.begin(), values.end(), text) == values.end()) {
    return std::unexpected(invalid("instance value (\"" + text +
                                   "\") not found in enum (possible values: " +
                                   quoted_list(values) + ")"));
  }
  return text;
}

Result<std::int64_t> integer_member(const json::value& v, std::int64_t minimum) {
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64()) {
    n = kMaxCountNumber + 1;  // beyond any maximum below
  } else {
    return std::unexpected(wrong_type(v, "integer"));
  }
  if (n < minimum) {
    return std::unexpected(invalid("numeric instance is lower than the required minimum (minimum: " +
                                   std::to_string(minimum) + ", found: " + std::to_string(n) + ")"));
  }
  if (n > kMaxCountNumber) {
    return std::unexpected(invalid(
        "numeric instance is greater than the required maximum (maximum: " +
        std::to_string(kMaxCountNumber) + ", found: " + json::serialize(v) + ")"));
  }
  return n;
}

Result<std::vector<std::string>> string_list(const json::value& v) {
  if (!v.is_array()) return std::unexpected(wrong_type(v, "array"));
  const json::array& a = v.get_array();
  if (a.empty()) {
    return std::unexpected(
        invalid("array is too short: must have at least 1 elements but instance has 0 elements"));
  }
  std::vector<std::string> out;
  for (const json::value& e : a) {
    if (!e.is_string()) return std::unexpected(wrong_type(e, "string"));
    if (e.get_string().empty()) {
      return std::unexpected(
          invalid("string \"\" is too short (length: 0, required minimum: 1)"));
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

std::string class_name(StorageClass c) {
  return c == StorageClass::kArchive ? "archive" : "standard";
}

Status parse_selection(const json::value& v, Rule& rule) {
  if (!v.is_object()) return std::unexpected(wrong_type(v, "object"));
  const json::object& s = v.get_object();
  BERTH_TRY_STATUS(check_members(s, {"tagStatus", "countType", "countNumber"},
                                 {"tagPatternList", "tagPrefixList", "storageClass", "countUnit"}));
  const std::string status = BERTH_TRY(enum_member(s.at("tagStatus"), {"tagged", "untagged", "any"}));
  rule.tag_status = status == "tagged"     ? TagStatus::kTagged
                    : status == "untagged" ? TagStatus::kUntagged
                                           : TagStatus::kAny;
  const std::string type = BERTH_TRY(enum_member(
      s.at("countType"),
      {"imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"}));
  rule.count_type = type == "imageCountMoreThan"  ? CountType::kImageCountMoreThan
                    : type == "sinceImagePushed"  ? CountType::kSinceImagePushed
                    : type == "sinceImagePulled"  ? CountType::kSinceImagePulled
                                                  : CountType::kSinceImageTransitioned;
  // The schema's oneOf: a count without a unit, or an age with one.
  const bool age = rule.count_type != CountType::kImageCountMoreThan;
  if (age != s.contains("countUnit")) return std::unexpected(invalid(std::string(kOneOf)));
  if (age) BERTH_TRY_STATUS(enum_member(s.at("countUnit"), {"days"}));
  rule.count_number = BERTH_TRY(integer_member(s.at("countNumber"), 1));
  if (const json::value* c = s.if_contains("storageClass")) {
    rule.storage_class = BERTH_TRY(enum_member(*c, {"standard", "archive"})) == "archive"
                             ? StorageClass::kArchive
                             : StorageClass::kStandard;
  }
  if (const json::value* l = s.if_contains("tagPrefixList")) rule.tag_prefixes = BERTH_TRY(string_list(*l));
  if (const json::value* l = s.if_contains("tagPatternList")) rule.tag_patterns = BERTH_TRY(string_list(*l));
  return ok();
}

Status parse_action(const json::value& v, Rule& rule) {
  if (!v.is_object()) return std::unexpected(wrong_type(v, "object"));
  const json::object& a = v.get_object();
  BERTH_TRY_STATUS(check_members(a, {"type"}, {"targetStorageClass"}));
  const std::string type = BERTH_TRY(enum_member(a.at("type"), {"expire", "transition"}));
  rule.action = type == "expire" ? ActionType::kExpire : ActionType::kTransition;
  // The schema's oneOf: expire alone, or transition with its target.
  if ((rule.action == ActionType::kTransition) != a.contains("targetStorageClass")) {
    return std::unexpected(invalid(std::string(kOneOf)));
  }
  if (rule.action == ActionType::kTransition) {
    BERTH_TRY_STATUS(enum_member(a.at("targetStorageClass"), {"archive"}));
  }
  return ok();
}

Result<Rule> parse_rule(const json::value& v) {
  if (!v.is_object()) return std::unexpected(wrong_type(v, "object"));
  const json::object& r = v.get_object();
  BERTH_TRY_STATUS(check_members(r, {"rulePriority", "selection", "action"}, {"description"}));
  Rule rule;
  rule.priority = BERTH_TRY(integer_member(r.at("rulePriority"), 1));
  if (const json::value* d = r.if_contains("description")) {
    if (!d->is_string()) return std::unexpected(wrong_type(*d, "string"));
    rule.description = std::string(d->get_string());
  }
  BERTH_TRY_STATUS(parse_selection(r.at("selection"), rule));
  BERTH_TRY_STATUS(parse_action(r.at("action"), rule));
  return rule;
}

std::string at_priority(const Rule& rule) {
  return " (rulePriority " + std::to_string(rule.priority) + ")";
}

// What each rule must satisfy on its own, beyond the schema.
Status check_rule(const Rule& rule) {
  const bool has_prefixes = !rule.tag_prefixes.empty();
  const bool has_patterns = !rule.tag_patterns.empty();
  if (rule.tag_status == TagStatus::kTagged && !has_prefixes && !has_patterns) {
    return std::unexpected(invalid("tagPrefixList or tagPatternList is required when tagStatus is "
                                   "tagged" + at_priority(rule)));
  }
  if (rule.tag_status != TagStatus::kTagged && (has_prefixes || has_patterns)) {
    return std::unexpected(invalid("tagPrefixList and tagPatternList can only be used when "
                                   "tagStatus is tagged" + at_priority(rule)));
  }
  if (has_prefixes && has_patterns) {
    return std::unexpected(invalid("a rule may specify either tagPatternList or tagPrefixList, "
                                   "but not both" + at_priority(rule)));
  }
  for (const std::string& pattern : rule.tag_patterns) {
    if (std::count(pattern.begin(), pattern.end(), '*') > kMaxWildcardsPerPattern) {
      return std::unexpected(invalid("tagPatternList entries may contain at most 4 wildcards (*): '" +
                                     pattern + "'" + at_priority(rule)));
    }
  }
  const bool transitioned = rule.count_type == CountType::kSinceImageTransitioned;
  if (transitioned && rule.storage_class != StorageClass::kArchive) {
    return std::unexpected(invalid("countType sinceImageTransitioned requires storageClass archive" +
                                   at_priority(rule)));
  }
  if (!transitioned && rule.storage_class == StorageClass::kArchive) {
    return std::unexpected(invalid("storageClass archive can only be used with countType "
                                   "sinceImageTransitioned" + at_priority(rule)));
  }
  if (transitioned && rule.action != ActionType::kExpire) {
    return std::unexpected(invalid("countType sinceImageTransitioned can only be used with action "
                                   "type expire" + at_priority(rule)));
  }
  if (rule.count_type == CountType::kSinceImagePulled && rule.action != ActionType::kTransition) {
    return std::unexpected(invalid("countType sinceImagePulled can only be used with action type "
                                   "transition" + at_priority(rule)));
  }
  if (transitioned && rule.count_number < kMinDaysInArchive) {
    return std::unexpected(invalid("You cannot configure lifecycle policies that delete images that "
                                   "have been in archive for less than 90 days" + at_priority(rule)));
  }
  return ok();
}

// What the rules must satisfy together; each storage class's rules form
// their own group (a standard rule never selects an archived image).
Status check_rules(const std::vector<Rule>& rules) {
  std::set<std::int64_t> priorities;
  for (const Rule& rule : rules) {
    if (!priorities.insert(rule.priority).second) {
      return std::unexpected(invalid("rulePriority " + std::to_string(rule.priority) +
                                     " is used by more than one rule; each rule needs a unique "
                                     "rulePriority"));
    }
  }
  for (StorageClass c : {StorageClass::kStandard, StorageClass::kArchive}) {
    const std::string where = "storageClass " + class_name(c);
    std::int64_t highest = 0;
    const Rule* any = nullptr;
    const Rule* untagged = nullptr;
    std::map<std::pair<bool, std::vector<std::string>>, const Rule*> lists;
    for (const Rule& rule : rules) {
      if (rule.storage_class != c) continue;
      highest = std::max(highest, rule.priority);
      if (rule.tag_status == TagStatus::kAny) any = &rule;
      if (rule.tag_status == TagStatus::kUntagged) {
        if (untagged != nullptr) {
          return std::unexpected(invalid("only one rule selecting " + where +
                                         " may select untagged images (rulePriority " +
                                         std::to_string(untagged->priority) + " and " +
                                         std::to_string(rule.priority) + ")"));
        }
        untagged = &rule;
      }
      if (rule.tag_status == TagStatus::kTagged) {
        const bool prefixes = !rule.tag_prefixes.empty();
        std::vector<std::string> set = prefixes ? rule.tag_prefixes : rule.tag_patterns;
        std::sort(set.begin(), set.end());
        set.erase(std::unique(set.begin(), set.end()), set.end());
        auto [it, fresh] = lists.try_emplace({prefixes, std::move(set)}, &rule);
        if (!fresh) {
          return std::unexpected(invalid(
              "the rules selecting " + where + " must each select a unique set of tags " +
              "(rulePriority " + std::to_string(it->second->priority) + " and " +
              std::to_string(rule.priority) + " select the same)"));
        }
      }
    }
    if (any != nullptr && any->priority != highest) {
      return std::unexpected(invalid("a rule with tagStatus any must have the highest rulePriority "
                                     "of the rules selecting " + where + at_priority(*any)));
    }
  }
  return ok();
}

}  // namespace

Result<LifecyclePolicy> parse_lifecycle_policy(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  json::value doc = json::parse(text, ec, {}, options);
  if (ec) return std::unexpected(invalid("Could not map policyString into LifecyclePolicy."));
  if (!doc.is_object()) return std::unexpected(wrong_type(doc, "object"));
  BERTH_TRY_STATUS(check_members(doc.get_object(), {"rules"}, {}));
  const json::value& rules = doc.get_object().at("rules");
  if (!rules.is_array()) return std::unexpected(wrong_type(rules, "array"));
  const std::size_t n = rules.get_array().size();
  if (n == 0) {
    return std::unexpected(
        invalid("array is too short: must have at least 1 elements but instance has 0 elements"));
  }
  if (n > kMaxRules) {
    return std::unexpected(invalid("array is too long: must have at most 50 elements but instance "
                                   "has " + std::to_string(n) + " elements"));
  }
  LifecyclePolicy policy;
  for (const json::value& r : rules.get_array()) policy.rules.push_back(BERTH_TRY(parse_rule(r)));
  for (const Rule& rule : policy.rules) BERTH_TRY_STATUS(check_rule(rule));
  BERTH_TRY_STATUS(check_rules(policy.rules));
  std::sort(policy.rules.begin(), policy.rules.end(),
            [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
  return policy;
}

std::string_view to_string(TagStatus s) {
  switch (s) {
    case TagStatus::kTagged: return "tagged";
    case TagStatus::kUntagged: return "untagged";
    case TagStatus::kAny: return "any";
  }
  return "any";
}

std::string_view to_string(CountType t) {
  switch (t) {
    case CountType::kImageCountMoreThan: return "imageCountMoreThan";
    case CountType::kSinceImagePushed: return "sinceImagePushed";
    case CountType::kSinceImagePulled: return "sinceImagePulled";
    case CountType::kSinceImageTransitioned: return "sinceImageTransitioned";
  }
  return "imageCountMoreThan";
}

std::string_view to_string(ActionType a) {
  return a == ActionType::kExpire ? "expire" : "transition";
}

}  // namespace berth::lifecycle
