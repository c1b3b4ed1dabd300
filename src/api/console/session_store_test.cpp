#include "api/console/session_store.hpp"

#include <gtest/gtest.h>

#include "util/base64.hpp"

namespace berth::api::console {
namespace {

constexpr std::string_view kSecret = "a server secret of 32 bytes.....";

TEST(SessionStore, CreatesUnguessableDistinctIdsAndTokens) {
  SessionStore store(kSecret);
  ConsoleSession a = store.create("AKIA1", "111122223333", 1000);
  ConsoleSession b = store.create("AKIA1", "111122223333", 1000);
  EXPECT_EQ(a.id.size(), 32u);
  EXPECT_EQ(a.csrf_token.size(), 64u);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.cookie, b.cookie);
  EXPECT_NE(a.csrf_token, b.csrf_token);
  EXPECT_EQ(a.cookie.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
            std::string::npos)
      << "a cookie value needs no quoting";
}

TEST(SessionStore, TouchFindsTheSessionWithItsIdentityAndToken) {
  SessionStore store(kSecret);
  ConsoleSession s = store.create(auth::Identity{"AKIA1", "111122223333", "user/ci"}, 1000);
  auto found = store.touch(s.cookie, 1001);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, s.id);
  EXPECT_EQ(found->account_id, "111122223333");
  EXPECT_EQ(found->access_key_id, "AKIA1");
  EXPECT_EQ(found->principal, "user/ci");
  EXPECT_EQ(found->csrf_token, s.csrf_token);
  EXPECT_FALSE(store.touch("not-a-session", 2000));
  EXPECT_FALSE(store.touch("", 2000));
}

TEST(SessionStore, AnotherStoreWithTheSameSecretAcceptsTheSessionAndNoOtherDoes) {
  SessionStore first(kSecret), second(kSecret), stranger("another secret of 32 bytes......");
  ConsoleSession s = first.create("AKIA1", "111122223333", 0);
  auto there = second.touch(s.cookie, 1);
  ASSERT_TRUE(there);
  EXPECT_EQ(there->csrf_token, s.csrf_token);
  EXPECT_FALSE(stranger.touch(s.cookie, 1));
}

TEST(SessionStore, ATamperedCookieIsRefused) {
  SessionStore store(kSecret);
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  const std::size_t dot = s.cookie.find('.');
  std::string payload = *base64url_decode(std::string_view(s.cookie).substr(0, dot));
  payload.replace(payload.find("111122223333"), 12, "999999999999");
  EXPECT_FALSE(store.touch(base64url_encode(payload) + s.cookie.substr(dot), 1));
  std::string flipped = s.cookie;  // a MAC character whose 6 bits all count
  flipped[dot + 5] = flipped[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(store.touch(flipped, 1));
  EXPECT_FALSE(store.touch(s.cookie.substr(0, dot), 1));
}

TEST(SessionStore, IdleSessionsExpireAndUseKeepsThemAlive) {
  SessionStore store(kSecret, {.idle_timeout_ms = 160, .max_lifetime_ms = 1000});
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  auto used = store.touch(s.cookie, 150);
  ASSERT_TRUE(used);
  EXPECT_TRUE(used->cookie_renewed);
  EXPECT_EQ(used->last_seen_ms, 150);
  EXPECT_TRUE(store.touch(used->cookie, 300));   // 150 ms after the last use
  EXPECT_FALSE(store.touch(s.cookie, 300));      // the first cookie: idle for 300 ms
  EXPECT_FALSE(store.touch(used->cookie, 310));  // idle for 160 ms
}

TEST(SessionStore, CookiesAreRenewedOnlyWhenLastUseMovesEnough) {
  SessionStore store(kSecret, {.idle_timeout_ms = 1600, .max_lifetime_ms = 10000});
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  auto soon = store.touch(s.cookie, 99);  // under 1600 / 16
  ASSERT_TRUE(soon);
  EXPECT_FALSE(soon->cookie_renewed);
  EXPECT_EQ(soon->cookie, s.cookie);
  auto later = store.touch(s.cookie, 100);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->cookie_renewed);
  EXPECT_NE(later->cookie, s.cookie);
}

TEST(SessionStore, SessionsEndAtTheirMaximumLifetimeEvenWhenUsed) {
  SessionStore store(kSecret, {.idle_timeout_ms = 100, .max_lifetime_ms = 250});
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  auto a = store.touch(s.cookie, 90);
  ASSERT_TRUE(a);
  auto b = store.touch(a->cookie, 180);
  ASSERT_TRUE(b);
  EXPECT_FALSE(store.touch(b->cookie, 250));
}

TEST(SessionStore, SignOutRefusesEveryCookieOfTheSessionHereUntilItsLifetimeEnds) {
  SessionStore store(kSecret, {.idle_timeout_ms = 1000, .max_lifetime_ms = 5000});
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  auto renewed = store.touch(s.cookie, 500);
  ASSERT_TRUE(renewed && renewed->cookie_renewed);
  store.remove(s.cookie, 600);
  EXPECT_FALSE(store.touch(s.cookie, 601));
  EXPECT_FALSE(store.touch(renewed->cookie, 601));
  EXPECT_EQ(store.signed_out_count(), 1u);
  store.remove("unknown", 601);  // ignored
  EXPECT_EQ(store.signed_out_count(), 1u);
  ConsoleSession other = store.create("AKIA1", "111122223333", 600);
  EXPECT_TRUE(store.touch(other.cookie, 601));
}

TEST(SessionStore, TheSignedOutListStaysBounded) {
  SessionStore store(kSecret, {.idle_timeout_ms = 1000, .max_lifetime_ms = 5000,
                               .max_signed_out = 2});
  for (int i = 0; i < 5; ++i) store.remove(store.create("AKIA1", "111122223333", i).cookie, i);
  EXPECT_EQ(store.signed_out_count(), 2u);
}

TEST(SessionStore, EveryUseAsksWhoTheKeyIsNow) {
  bool key_still_valid = true;
  auto policy = std::make_shared<const policy::Document>();
  SessionStore store(kSecret, {}, [&](const auth::Identity& signed_in) -> std::optional<auth::Identity> {
    if (!key_still_valid) return std::nullopt;
    auth::Identity now = signed_in;
    now.identity_policy = policy;
    return now;
  });
  ConsoleSession s = store.create(auth::Identity{"AKIA1", "111122223333", "user/ci"}, 0);
  auto found = store.touch(s.cookie, 1);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->identity_policy, policy);
  key_still_valid = false;
  EXPECT_FALSE(store.touch(s.cookie, 2));
}

}  // namespace
}  // namespace berth::api::console
