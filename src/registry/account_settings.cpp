#include "registry/account_settings.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace berth::registry {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 2> kScopes = {"V1", "V2"};
constexpr std::array<std::string_view, 2> kMounting = {"ENABLED", "DISABLED"};
constexpr std::array<std::string_view, 2> kScanTypes = {"AWS_NATIVE", "CLAIR"};

const std::array<AccountSettingSpec, 3> kSpecs = {{
    {kBasicScanTypeVersion, "AWS_NATIVE", kScanTypes},
    {kBlobMounting, "ENABLED", kMounting},
    {kRegistryPolicyScope, "V2", kScopes},
}};

}  // namespace

bool accepts_value(const AccountSettingSpec& spec, std::string_view value) {
  return std::find(spec.values.begin(), spec.values.end(), value) != spec.values.end();
}

std::optional<AccountSettingSpec> find_account_setting(std::string_view name) {
  for (const AccountSettingSpec& spec : kSpecs) {
    if (spec.name == name) return spec;
  }
  return std::nullopt;
}

std::span<const AccountSettingSpec> account_settings() { return kSpecs; }

std::string account_setting(std::string_view registry_settings_json, std::string_view name) {
  const std::optional<AccountSettingSpec> spec = find_account_setting(name);
  if (!spec) return {};
  // Most registries never set one: skip the parse.
  if (registry_settings_json.find(kAccountSettingsMember) == std::string_view::npos) {
    return std::string(spec->default_value);
  }
  boost::system::error_code ec;
  const json::value doc = json::parse(registry_settings_json, ec);
  if (ec || !doc.is_object()) return std::string(spec->default_value);
  const json::value* settings = doc.get_object().if_contains(kAccountSettingsMember);
  if (settings == nullptr || !settings->is_object()) return std::string(spec->default_value);
  const json::value* value = settings->get_object().if_contains(name);
  if (value == nullptr || !value->is_string()) return std::string(spec->default_value);
  const std::string_view text(value->get_string().data(), value->get_string().size());
  return accepts_value(*spec, text) ? std::string(text) : std::string(spec->default_value);
}

Result<std::string> with_account_setting(std::string_view registry_settings_json,
                                         std::string_view name, std::string_view value) {
  boost::system::error_code ec;
  json::value doc = json::parse(registry_settings_json.empty() ? "{}" : registry_settings_json, ec);
  if (ec || !doc.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "the registry settings are not a JSON object");
  }
  json::value& settings = doc.get_object()[kAccountSettingsMember];
  if (!settings.is_object()) settings = json::object{};
  settings.get_object()[name] = value;
  return json::serialize(doc);
}

bool registry_policy_applies_everywhere(std::string_view registry_settings_json) {
  return account_setting(registry_settings_json, kRegistryPolicyScope) == "V2";
}

}  // namespace berth::registry
