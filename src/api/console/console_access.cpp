#include "api/console/console_access.hpp"

namespace berth::api::console {

ConsoleAccess::ConsoleAccess(access::AccessControl* access, const ConsoleSession& session,
                             const http::Request& request, bool secure_transport)
    : access_(access),
      who_(session.identity()),
      facts_{request.remote_address, secure_transport} {}

Status ConsoleAccess::authorize(std::span<const std::string_view> actions,
                                const registry::RepositoryRef& repository) const {
  if (access_ == nullptr) return ok();
  const access::Target target{repository.registry, repository.name, access::Scope::kRepository};
  return access_->authorize_any(who_, actions, target, facts_);
}

Status ConsoleAccess::authorize(std::string_view action,
                                const registry::RepositoryRef& repository) const {
  return authorize(std::span<const std::string_view>(&action, 1), repository);
}

bool ConsoleAccess::may_describe(const registry::RepositoryRecord& record) const {
  if (access_ == nullptr) return true;
  const access::Target target{record.registry, record.name, access::Scope::kRepository};
  return access_
      ->authorize_with_settings(who_, actions::kDescribeRepositories, target,
                                record.settings_json, facts_)
      .has_value();
}

}  // namespace berth::api::console
