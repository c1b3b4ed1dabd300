#include "api/ecr/repository_settings.hpp"

#include <boost/json.hpp>

#include "access/access_control.hpp"
#include "crypto/hasher.hpp"
#include "lifecycle/runner.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {
std::string string_member(const json::object& o, std::string_view key, std::string fallback = {}) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : fallback;
}
}  // namespace

RepositorySettings RepositorySettings::from_json(std::string_view settings_json) {
  RepositorySettings s;
  boost::system::error_code ec;
  json::value doc = json::parse(settings_json, ec);
  if (ec || !doc.is_object()) return s;
  const auto& o = doc.as_object();
  s.image_tag_mutability = string_member(o, "imageTagMutability", "MUTABLE");
  if (auto* f = o.if_contains("imageTagMutabilityExclusionFilters"); f && f->is_array()) {
    s.tag_mutability_exclusion_filters = f->as_array();
  }
  if (auto* scan = o.if_contains("imageScanningConfiguration"); scan && scan->is_object()) {
    if (auto* p = scan->as_object().if_contains("scanOnPush"); p && p->is_bool()) {
      s.scan_on_push = p->as_bool();
    }
  }
  if (auto* enc = o.if_contains("encryptionConfiguration"); enc && enc->is_object()) {
    s.encryption_type = string_member(enc->as_object(), "encryptionType", "AES256");
    s.kms_key = string_member(enc->as_object(), "kmsKey");
  }
  if (auto* p = o.if_contains(access::kRepositoryPolicySetting); p && p->is_string()) {
    s.repository_policy = std::string(p->as_string());
  }
  if (auto* p = o.if_contains(lifecycle::kPolicySetting); p && p->is_string()) {
    s.lifecycle_policy = std::string(p->as_string());
  }
  if (auto* p = o.if_contains("lifecyclePolicyUpdatedAt"); p && p->is_int64()) {
    s.lifecycle_policy_updated_ms = p->as_int64();
  }
  if (auto* p = o.if_contains(lifecycle::kEvaluatedAtSetting); p && p->is_int64()) {
    s.lifecycle_policy_evaluated_ms = p->as_int64();
  }
  if (auto* t = o.if_contains("tags"); t && t->is_array()) {
    for (const auto& tag : t->as_array()) {
      if (!tag.is_object()) continue;
      s.tags.emplace_back(string_member(tag.as_object(), "Key"),
                          string_member(tag.as_object(), "Value"));
    }
  }
  return s;
}

std::string RepositorySettings::to_json() const {
  json::object o;
  o["imageTagMutability"] = image_tag_mutability;
  if (!tag_mutability_exclusion_filters.empty()) {
    o["imageTagMutabilityExclusionFilters"] = tag_mutability_exclusion_filters;
  }
  o["imageScanningConfiguration"] = json::object{{"scanOnPush", scan_on_push}};
  json::object enc{{"encryptionType", encryption_type}};
  if (!kms_key.empty()) enc["kmsKey"] = kms_key;
  o["encryptionConfiguration"] = std::move(enc);
  if (repository_policy) o[access::kRepositoryPolicySetting] = *repository_policy;
  if (lifecycle_policy) {
    o[lifecycle::kPolicySetting] = *lifecycle_policy;
    o["lifecyclePolicyUpdatedAt"] = lifecycle_policy_updated_ms;
    if (lifecycle_policy_evaluated_ms != 0) {
      o[lifecycle::kEvaluatedAtSetting] = lifecycle_policy_evaluated_ms;
    }
  }
  json::array t;
  for (const auto& [k, v] : tags) t.push_back(json::object{{"Key", k}, {"Value", v}});
  o["tags"] = std::move(t);
  return json::serialize(o);
}

std::pair<std::string, std::string> split_registry(std::string_view registry) {
  auto colon = registry.find(':');
  if (colon == std::string_view::npos) return {std::string(registry), ""};
  return {std::string(registry.substr(0, colon)), std::string(registry.substr(colon + 1))};
}

std::string repository_arn(std::string_view registry, std::string_view name) {
  auto [account, region] = split_registry(registry);
  return "arn:aws:ecr:" + region + ":" + account + ":repository/" + std::string(name);
}

namespace {
std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::string host_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  auto slash = url.find('/');
  return std::string(url.substr(0, slash));
}
}  // namespace

std::string aws_managed_ecr_key_arn(std::string_view account, std::string_view region) {
  std::string hex = crypto::sha256_hex("berth aws/ecr managed key " + std::string(account) + " " +
                                       std::string(region));
  hex[12] = '4';                                        // version 4
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  const std::string uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
                           "-" + hex.substr(16, 4) + "-" + hex.substr(20, 12);
  return "arn:aws:kms:" + std::string(region) + ":" + std::string(account) + ":key/" + uuid;
}

std::string repository_uri(const EcrSettings& settings, std::string_view registry,
                           std::string_view name) {
  auto [account, region] = split_registry(registry);
  std::string host = settings.repository_uri_template;
  host = replace_all(std::move(host), "{account}", account);
  host = replace_all(std::move(host), "{region}", region);
  host = replace_all(std::move(host), "{host}", host_of(settings.public_url));
  return host + "/" + std::string(name);
}

json::object repository_json(const EcrSettings& settings,
                             const registry::RepositoryRecord& record,
                             const RepositorySettings& s) {
  auto [account, region] = split_registry(record.registry);
  json::object r;
  r["repositoryArn"] = repository_arn(record.registry, record.name);
  r["registryId"] = account;
  r["repositoryName"] = record.name;
  r["repositoryUri"] = repository_uri(settings, record.registry, record.name);
  r["createdAt"] = static_cast<double>(record.created_at_ms) / 1000.0;
  r["imageTagMutability"] = s.image_tag_mutability;
  if (!s.tag_mutability_exclusion_filters.empty()) {
    r["imageTagMutabilityExclusionFilters"] = s.tag_mutability_exclusion_filters;
  }
  r["imageScanningConfiguration"] = json::object{{"scanOnPush", s.scan_on_push}};
  json::object enc{{"encryptionType", s.encryption_type}};
  if (!s.kms_key.empty()) enc["kmsKey"] = s.kms_key;
  r["encryptionConfiguration"] = std::move(enc);
  return r;
}

std::expected<registry::RepositoryRef, EcrFailure> parse_repository_arn(std::string_view arn) {
  auto bad = [&] {
    return std::unexpected(EcrFailure{
        "InvalidParameterException",
        "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
        {},
        400});
  };
  constexpr std::string_view kPrefix = "arn:aws:ecr:";
  if (!arn.starts_with(kPrefix)) return bad();
  std::string_view rest = arn.substr(kPrefix.size());
  auto c1 = rest.find(':');
  if (c1 == std::string_view::npos) return bad();
  std::string_view region = rest.substr(0, c1);
  rest.remove_prefix(c1 + 1);
  auto c2 = rest.find(':');
  if (c2 == std::string_view::npos) return bad();
  std::string_view account = rest.substr(0, c2);
  rest.remove_prefix(c2 + 1);
  constexpr std::string_view kRepo = "repository/";
  if (!rest.starts_with(kRepo) || region.empty() || account.size() != 12 ||
      account.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad();
  }
  return registry::RepositoryRef{std::string(account) + ":" + std::string(region),
                                 std::string(rest.substr(kRepo.size()))};
}

}  // namespace berth::api::ecr
