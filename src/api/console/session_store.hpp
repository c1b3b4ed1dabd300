// SessionStore: the console's signed-in sessions, kept in this process's
// memory. A session is named by a 256-bit random id that travels only in the
// HttpOnly cookie; it carries its own CSRF token (also random) and the
// identity that signed in (access key, account, principal, identity
// policy): every console call is decided for it by the same AccessControl
// as the ECR API's requests.
//
// A session ends when signed out, after `idle_timeout` without a request, or
// `max_lifetime` after sign-in, whichever comes first. At most
// `max_sessions` live at once: beyond that the expired ones are dropped and,
// if none was, the least recently used one.
//
// Sessions are not shared between processes: behind a load balancer the
// console needs sticky sessions (docs/console.md); a restart signs everyone
// out.
//
// Thread-safety: every member may be called concurrently (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/identity.hpp"

namespace berth::api::console {

struct ConsoleSession {
  std::string id;          // the cookie's value (64 hex digits)
  std::string csrf_token;  // sent back in the X-CSRF-Token header (64 hex digits)
  std::string access_key_id;
  std::string account_id;
  std::string principal = std::string(auth::kRootPrincipal);  // root | user/<n> | role/<n>
  std::shared_ptr<const policy::Document> identity_policy;  // null: none
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;

  // Who the session's calls are decided for.
  auth::Identity identity() const {
    return auth::Identity{access_key_id, account_id, principal, identity_policy};
  }
};

struct SessionOptions {
  std::int64_t idle_timeout_ms = 30LL * 60 * 1000;      // 30 minutes
  std::int64_t max_lifetime_ms = 12LL * 60 * 60 * 1000;  // 12 hours
  std::size_t max_sessions = 10000;
};

class SessionStore {
 public:
  explicit SessionStore(SessionOptions options = {}) : options_(options) {}

  // A new session with fresh random id and CSRF token.
  ConsoleSession create(const auth::Identity& who, std::int64_t now_ms);
  // The same for an account's root without an identity policy.
  ConsoleSession create(std::string access_key_id, std::string account_id, std::int64_t now_ms);

  // The live session named `id`, its last use moved to now; nullopt when
  // unknown or expired (an expired one is dropped).
  std::optional<ConsoleSession> touch(std::string_view id, std::int64_t now_ms);

  // Ends the session (sign-out); unknown ids are ignored.
  void remove(std::string_view id);

  std::size_t size() const;
  const SessionOptions& options() const { return options_; }

 private:
  bool expired(const ConsoleSession& session, std::int64_t now_ms) const;
  // REQUIRES: mu_ held.
  void make_room(std::int64_t now_ms);

  SessionOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, ConsoleSession> sessions_;
};

}  // namespace berth::api::console
