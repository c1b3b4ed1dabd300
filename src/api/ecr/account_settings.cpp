// PutAccountSetting and GetAccountSetting: the registry's account settings
// (registry/account_settings.hpp), kept in its settings object, changed in
// one step against concurrent writers (Registry::modify_registry_settings).
#include <boost/json.hpp>

#include "api/ecr/admin_operations.hpp"
#include "api/ecr/admin_support.hpp"
#include "api/ecr/errors.hpp"
#include "http/offload.hpp"
#include "registry/account_settings.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

std::string joined(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

std::expected<registry::AccountSettingSpec, EcrFailure> known_setting(std::string_view name) {
  if (auto spec = registry::find_account_setting(name)) return *spec;
  std::vector<std::string_view> names;
  for (const auto& spec : registry::account_settings()) names.push_back(spec.name);
  return std::unexpected(validation_failure("Account setting name '" + std::string(name) +
                                            "' is not valid. Valid names: " + joined(names)));
}

json::value setting_output(std::string_view name, std::string_view value) {
  return json::object{{"name", name}, {"value", value}};
}

}  // namespace

boost::asio::awaitable<EcrResult> PutAccountSetting(EcrContext& ctx, const json::object& input) {
  const std::string name = string_input(input, "name");
  const std::string value = string_input(input, "value");
  auto spec = known_setting(name);
  if (!spec) co_return std::unexpected(spec.error());
  if (!registry::accepts_value(*spec, value)) {
    co_return std::unexpected(validation_failure("Value '" + value + "' is not valid for " + name +
                                                 ". Valid values: " + joined(spec->values)));
  }
  const std::string registry = repository_ref(ctx, input, "").registry;
  auto saved = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.modify_registry_settings(registry, [&](const std::string& current) {
      return registry::with_account_setting(current, name, value);
    });
  });
  if (!saved) co_return std::unexpected(to_ecr_failure(saved.error()));
  co_return setting_output(name, value);
}

boost::asio::awaitable<EcrResult> GetAccountSetting(EcrContext& ctx, const json::object& input) {
  const std::string name = string_input(input, "name");
  auto spec = known_setting(name);
  if (!spec) co_return std::unexpected(spec.error());
  const std::string registry = repository_ref(ctx, input, "").registry;
  auto settings = co_await http::offload(ctx.blocking,
                                         [&] { return ctx.registry.registry_settings(registry); });
  if (!settings) co_return std::unexpected(to_ecr_failure(settings.error()));
  co_return setting_output(name, registry::account_setting(*settings, name));
}

}  // namespace berth::api::ecr
