#include "api/console/session_store.hpp"

#include <charconv>
#include <stdexcept>
#include <utility>

#include "crypto/hasher.hpp"
#include "util/base64.hpp"
#include "util/hex.hpp"
#include "util/length_prefixed.hpp"

namespace berth::api::console {

namespace {

constexpr std::string_view kKeyLabel = "berth/console-session/v1";
constexpr char kVersion = '1';
constexpr std::size_t kMaxCookieLength = 4096;
constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kIdBytes = 16;
// last_seen_ms moves (and the cookie is re-issued) at most this often,
// relative to the idle timeout.
constexpr std::int64_t kRenewFraction = 16;

bool parse_ms(std::string_view text, std::int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

SessionStore::SessionStore(std::string_view server_secret, SessionOptions options,
                           IdentityCheck check)
    : options_(options), check_(std::move(check)) {
  if (server_secret.empty()) throw std::invalid_argument("SessionStore: empty server secret");
  key_ = crypto::hmac_sha256(server_secret, kKeyLabel);
}

ConsoleSession SessionStore::create(std::string access_key_id, std::string account_id,
                                    std::int64_t now_ms) {
  return create(auth::Identity{std::move(access_key_id), std::move(account_id)}, now_ms);
}

ConsoleSession SessionStore::create(const auth::Identity& who, std::int64_t now_ms) {
  ConsoleSession session;
  session.id = to_hex(crypto::random_bytes(kIdBytes));
  session.access_key_id = who.access_key_id;
  session.account_id = who.account_id;
  session.principal = who.principal;
  session.identity_policy = who.identity_policy;
  session.created_ms = now_ms;
  session.last_seen_ms = now_ms;
  session.csrf_token = to_hex(crypto::hmac_sha256(key_, "csrf:" + session.id));
  session.cookie = sign(session);
  return session;
}

std::string SessionStore::sign(const ConsoleSession& session) const {
  std::string payload(1, kVersion);
  append_field(payload, session.id);
  append_field(payload, session.access_key_id);
  append_field(payload, session.account_id);
  append_field(payload, session.principal);
  append_field(payload, std::to_string(session.created_ms));
  append_field(payload, std::to_string(session.last_seen_ms));
  return base64url_encode(payload) + "." + base64url_encode(crypto::hmac_sha256(key_, payload));
}

std::optional<ConsoleSession> SessionStore::open(std::string_view cookie) const {
  if (cookie.size() > kMaxCookieLength) return std::nullopt;
  const std::size_t dot = cookie.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(cookie.substr(0, dot));
  auto mac = base64url_decode(cookie.substr(dot + 1));
  if (!payload || !mac || mac->size() != kMacBytes) return std::nullopt;
  // The MAC first: nothing unsigned is parsed.
  if (!crypto::constant_time_equal(crypto::hmac_sha256(key_, *payload), *mac)) return std::nullopt;
  std::string_view in = *payload;
  if (in.empty() || in.front() != kVersion) return std::nullopt;
  in.remove_prefix(1);
  std::string_view id, key, account, principal, created, last_seen;
  if (!take_field(in, id) || !take_field(in, key) || !take_field(in, account) ||
      !take_field(in, principal) || !take_field(in, created) || !take_field(in, last_seen) ||
      !in.empty()) {
    return std::nullopt;
  }
  ConsoleSession session;
  if (!parse_ms(created, session.created_ms) || !parse_ms(last_seen, session.last_seen_ms)) {
    return std::nullopt;
  }
  session.id = id;
  session.access_key_id = key;
  session.account_id = account;
  session.principal = principal;
  session.csrf_token = to_hex(crypto::hmac_sha256(key_, "csrf:" + session.id));
  session.cookie = cookie;
  return session;
}

std::optional<ConsoleSession> SessionStore::touch(std::string_view cookie, std::int64_t now_ms) {
  std::optional<ConsoleSession> session = open(cookie);
  if (!session || expired(*session, now_ms) || signed_out(session->id, now_ms)) {
    return std::nullopt;
  }
  if (check_) {
    std::optional<auth::Identity> now_is = check_(session->identity());
    if (!now_is) return std::nullopt;
    session->identity_policy = now_is->identity_policy;
  }
  if (now_ms - session->last_seen_ms >= options_.idle_timeout_ms / kRenewFraction) {
    session->last_seen_ms = now_ms;
    session->cookie = sign(*session);
    session->cookie_renewed = true;
  }
  return session;
}

void SessionStore::remove(std::string_view cookie, std::int64_t now_ms) {
  std::optional<ConsoleSession> session = open(cookie);
  if (!session || expired(*session, now_ms)) return;
  std::lock_guard lock(mu_);
  if (signed_out_.size() >= options_.max_signed_out) {
    std::erase_if(signed_out_, [&](const auto& entry) { return entry.second <= now_ms; });
    // Still full: forget the one whose lifetime ends first.
    if (signed_out_.size() >= options_.max_signed_out && !signed_out_.empty()) {
      auto soonest = signed_out_.begin();
      for (auto it = signed_out_.begin(); it != signed_out_.end(); ++it) {
        if (it->second < soonest->second) soonest = it;
      }
      signed_out_.erase(soonest);
    }
  }
  signed_out_[session->id] = session->created_ms + options_.max_lifetime_ms;
}

std::size_t SessionStore::signed_out_count() const {
  std::lock_guard lock(mu_);
  return signed_out_.size();
}

bool SessionStore::expired(const ConsoleSession& session, std::int64_t now_ms) const {
  return now_ms - session.last_seen_ms >= options_.idle_timeout_ms ||
         now_ms - session.created_ms >= options_.max_lifetime_ms;
}

bool SessionStore::signed_out(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = signed_out_.find(id);
  if (it == signed_out_.end()) return false;
  if (it->second <= now_ms) {
    signed_out_.erase(it);
    return false;  // and expired() refuses it anyway
  }
  return true;
}

}  // namespace berth::api::console
