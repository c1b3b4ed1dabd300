// SessionStore: the console's signed-in sessions. A session lives in its
// cookie, signed with a key derived from the server secret that registry
// passwords use (--token-secret, shared between replicas), so every berth
// process that shares the secret accepts the sessions any of them started:
// behind a load balancer the console needs no sticky sessions, and a restart
// signs nobody out.
//
//   cookie  = base64url(payload) "." base64url(HMAC-SHA256(K, payload))
//   K       = HMAC-SHA256(server_secret, "berth/console-session/v1")
//   payload = "1" then length-prefixed fields (util/length_prefixed.hpp):
//             session id (128 random bits, hex), access key id, account id,
//             principal, created_ms, last_seen_ms
//   CSRF token = hex(HMAC-SHA256(K, "csrf:" + session id))
//
// The identity policy is not in the cookie: each use asks the IdentityCheck
// who the key is now, so a key taken out of the credentials file, expired,
// or moved to another account or principal ends its sessions at their next
// request, and a changed identity policy applies at once.
//
// A session ends when signed out, after `idle_timeout` without a request, or
// `max_lifetime` after sign-in, whichever comes first. Use moves
// last_seen_ms by re-issuing the cookie (at most every idle_timeout / 16,
// so the idle limit holds to within that). Sign-out clears the browser's
// cookie, and this process refuses the session's id until its lifetime
// ends; other processes learn nothing of it, so a copy of the cookie taken
// before sign-out stays usable there within the idle and lifetime limits
// (docs/console.md).
//
// Thread-safety: every member may be called concurrently (one mutex guards
// the signed-out ids).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/identity.hpp"

namespace berth::api::console {

struct ConsoleSession {
  std::string id;          // names the session for its whole life (32 hex digits)
  std::string cookie;      // the signed cookie value that carries it
  std::string csrf_token;  // sent back in the X-CSRF-Token header (64 hex digits)
  std::string access_key_id;
  std::string account_id;
  std::string principal = std::string(auth::kRootPrincipal);  // root | user/<n> | role/<n>
  std::shared_ptr<const policy::Document> identity_policy;  // null: none
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  // touch() re-issued the cookie (last_seen_ms moved): send it back.
  bool cookie_renewed = false;

  // Who the session's calls are decided for.
  auth::Identity identity() const {
    return auth::Identity{access_key_id, account_id, principal, identity_policy};
  }
};

struct SessionOptions {
  std::int64_t idle_timeout_ms = 30LL * 60 * 1000;      // 30 minutes
  std::int64_t max_lifetime_ms = 12LL * 60 * 60 * 1000;  // 12 hours
  std::size_t max_signed_out = 10000;  // signed-out ids remembered at once
};

// Who the key that signed in as `signed_in` is now, with its current
// identity policy; nullopt when it may no longer sign in as that identity.
using IdentityCheck =
    std::function<std::optional<auth::Identity>(const auth::Identity& signed_in)>;

class SessionStore {
 public:
  // REQUIRES: server_secret is not empty. A null `check` trusts the
  // cookie's identity as signed (without an identity policy).
  explicit SessionStore(std::string_view server_secret, SessionOptions options = {},
                        IdentityCheck check = nullptr);

  // A new session with a fresh random id.
  ConsoleSession create(const auth::Identity& who, std::int64_t now_ms);
  // The same for an account's root without an identity policy.
  ConsoleSession create(std::string access_key_id, std::string account_id, std::int64_t now_ms);

  // The live session `cookie` carries; nullopt when the cookie is not one
  // this secret signed, the session expired or was signed out here, or its
  // key fails the IdentityCheck.
  std::optional<ConsoleSession> touch(std::string_view cookie, std::int64_t now_ms);

  // Ends the session `cookie` carries (sign-out); anything else is ignored.
  void remove(std::string_view cookie, std::int64_t now_ms);

  std::size_t signed_out_count() const;
  const SessionOptions& options() const { return options_; }

 private:
  std::string sign(const ConsoleSession& session) const;
  std::optional<ConsoleSession> open(std::string_view cookie) const;
  bool expired(const ConsoleSession& session, std::int64_t now_ms) const;
  bool signed_out(const std::string& id, std::int64_t now_ms);

  std::string key_;  // derived MAC key, never the server secret itself
  SessionOptions options_;
  IdentityCheck check_;
  mutable std::mutex mu_;
  // Session id -> when its lifetime ends (then it would be refused anyway).
  std::unordered_map<std::string, std::int64_t> signed_out_;
};

}  // namespace berth::api::console
