// Small helpers shared by the administration handlers: reading optional
// input members, loading a repository with its settings, and the
// repository-scoped page token.
//
// Thread-safety: pure functions, except load_repository which calls the
// (thread-safe) Registry on the blocking pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/ecr/operation.hpp"
#include "api/ecr/repository_settings.hpp"

namespace berth::api::ecr {

std::string string_input(const boost::json::object& input, std::string_view key,
                         std::string fallback = {});
std::optional<bool> bool_input(const boost::json::object& input, std::string_view key);

struct LoadedRepository {
  registry::RepositoryRef ref;
  registry::RepositoryRecord record;
  RepositorySettings settings;
};

// The repository named by input.repositoryName, or RepositoryNotFoundException.
boost::asio::awaitable<std::expected<LoadedRepository, EcrFailure>> load_repository(
    EcrContext& ctx, const boost::json::object& input);

// Applies `change` to the repository's current settings and writes them, as
// one step against concurrent changes (Registry::modify_repository_settings):
// two calls changing different settings both take effect.
boost::asio::awaitable<std::expected<void, EcrFailure>> modify_settings(
    EcrContext& ctx, const LoadedRepository& repo,
    const std::function<void(RepositorySettings&)>& change);

// The ImageTagMutability + filters compatibility rule: filters only with the
// *_WITH_EXCLUSION modes, and those modes require filters.
std::expected<void, EcrFailure> check_tag_mutability(std::string_view mode,
                                                     const boost::json::value* filters);

// ECR's resource-tag limits (the InvalidTagParameterException doc): keys of
// 1..128 characters not starting with "aws:", values of at most 256.
std::expected<void, EcrFailure> check_resource_tag(std::string_view key, std::string_view value);

// Page tokens for name-ordered listings: opaque, versioned; tampering gives
// InvalidParameterException.
std::string encode_name_token(std::string_view last_name);
std::expected<std::string, EcrFailure> decode_name_token(std::string_view token);

}  // namespace berth::api::ecr
