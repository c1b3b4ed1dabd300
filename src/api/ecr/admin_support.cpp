#include "api/ecr/admin_support.hpp"

#include "http/offload.hpp"
#include "util/base64.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

std::string string_input(const json::object& input, std::string_view key, std::string fallback) {
  auto* v = input.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : fallback;
}

std::optional<bool> bool_input(const json::object& input, std::string_view key) {
  auto* v = input.if_contains(key);
  if (v && v->is_bool()) return v->as_bool();
  return std::nullopt;
}

boost::asio::awaitable<std::expected<LoadedRepository, EcrFailure>> load_repository(
    EcrContext& ctx, const json::object& input) {
  LoadedRepository out;
  std::string name = string_input(input, "repositoryName");
  out.ref = repository_ref(ctx, input, name);
  auto record = co_await http::offload(ctx.blocking,
                                       [&] { return ctx.registry.repository(out.ref); });
  if (!record) {
    co_return std::unexpected(to_ecr_failure(record.error(), registry_id(ctx, input), name));
  }
  out.record = std::move(*record);
  out.settings = RepositorySettings::from_json(out.record.settings_json);
  co_return out;
}

boost::asio::awaitable<std::expected<void, EcrFailure>> modify_settings(
    EcrContext& ctx, const LoadedRepository& repo,
    const std::function<void(RepositorySettings&)>& change) {
  auto saved = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.modify_repository_settings(
        repo.ref, [&](const std::string& current) -> Result<std::string> {
          RepositorySettings settings = RepositorySettings::from_json(current);
          change(settings);
          return settings.to_json();
        });
  });
  if (!saved) {
    auto [account, region] = split_registry(repo.ref.registry);
    co_return std::unexpected(to_ecr_failure(saved.error(), account, repo.ref.name));
  }
  co_return std::expected<void, EcrFailure>{};
}

std::expected<void, EcrFailure> check_tag_mutability(std::string_view mode,
                                                     const json::value* filters) {
  bool has_filters = filters && filters->is_array() && !filters->as_array().empty();
  bool with_exclusion = mode.ends_with("_WITH_EXCLUSION");
  if (with_exclusion && !has_filters) {
    return std::unexpected(EcrFailure{
        "InvalidParameterException",
        "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as " +
            std::string(mode),
        {},
        400});
  }
  if (!with_exclusion && has_filters) {
    return std::unexpected(EcrFailure{
        "InvalidParameterException",
        "ImageTagMutabilityExclusionFilters can only be used when imageTagMutability is set as "
        "IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION",
        {},
        400});
  }
  return {};
}

std::expected<void, EcrFailure> check_resource_tag(std::string_view key, std::string_view value) {
  auto invalid = [](std::string message) {
    return std::unexpected(EcrFailure{"InvalidTagParameterException", std::move(message), {}, 400});
  };
  if (key.empty() || key.size() > 128) {
    return invalid("Tag keys must be between 1 and 128 characters long");
  }
  if (value.size() > 256) return invalid("Tag values must be at most 256 characters long");
  if (key.starts_with("aws:")) return invalid("Tag keys starting with 'aws:' are reserved");
  return {};
}

namespace {
constexpr std::string_view kNameTokenPrefix = "berth-names-v1:";
}

std::string encode_name_token(std::string_view last_name) {
  return base64url_encode(std::string(kNameTokenPrefix) + std::string(last_name));
}

std::expected<std::string, EcrFailure> decode_name_token(std::string_view token) {
  auto decoded = base64url_decode(token);
  if (!decoded || !decoded->starts_with(kNameTokenPrefix)) {
    return std::unexpected(EcrFailure{"InvalidParameterException",
                                      "Invalid parameter at 'nextToken' failed to satisfy "
                                      "constraint: 'Invalid pagination token'",
                                      {},
                                      400});
  }
  return decoded->substr(kNameTokenPrefix.size());
}

}  // namespace berth::api::ecr
