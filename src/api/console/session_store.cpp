#include "api/console/session_store.hpp"

#include <algorithm>
#include <utility>

#include "crypto/hasher.hpp"
#include "util/hex.hpp"

namespace berth::api::console {

namespace {
// 32 bytes from the CSPRNG: guessing one live id is hopeless.
std::string random_token() { return to_hex(crypto::random_bytes(32)); }
}  // namespace

ConsoleSession SessionStore::create(std::string access_key_id, std::string account_id,
                                    std::int64_t now_ms) {
  return create(auth::Identity{std::move(access_key_id), std::move(account_id)}, now_ms);
}

ConsoleSession SessionStore::create(const auth::Identity& who, std::int64_t now_ms) {
  ConsoleSession session;
  session.id = random_token();
  session.csrf_token = random_token();
  session.access_key_id = who.access_key_id;
  session.account_id = who.account_id;
  session.principal = who.principal;
  session.identity_policy = who.identity_policy;
  session.created_ms = now_ms;
  session.last_seen_ms = now_ms;
  std::lock_guard lock(mu_);
  make_room(now_ms);
  sessions_[session.id] = session;
  return session;
}

std::optional<ConsoleSession> SessionStore::touch(std::string_view id, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (expired(it->second, now_ms)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen_ms = now_ms;
  return it->second;
}

void SessionStore::remove(std::string_view id) {
  std::lock_guard lock(mu_);
  sessions_.erase(std::string(id));
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool SessionStore::expired(const ConsoleSession& session, std::int64_t now_ms) const {
  return now_ms - session.last_seen_ms >= options_.idle_timeout_ms ||
         now_ms - session.created_ms >= options_.max_lifetime_ms;
}

void SessionStore::make_room(std::int64_t now_ms) {
  if (sessions_.size() < options_.max_sessions) return;
  std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, now_ms); });
  if (sessions_.size() < options_.max_sessions || sessions_.empty()) return;
  auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
    return a.second.last_seen_ms < b.second.last_seen_ms;
  });
  sessions_.erase(oldest);
}

}  // namespace berth::api::console
