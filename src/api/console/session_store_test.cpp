#include "api/console/session_store.hpp"

#include <gtest/gtest.h>

namespace berth::api::console {
namespace {

TEST(SessionStore, CreatesUnguessableDistinctIdsAndTokens) {
  SessionStore store;
  ConsoleSession a = store.create("AKIA1", "111122223333", 1000);
  ConsoleSession b = store.create("AKIA1", "111122223333", 1000);
  EXPECT_EQ(a.id.size(), 64u);
  EXPECT_EQ(a.csrf_token.size(), 64u);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.csrf_token, b.csrf_token);
  EXPECT_NE(a.id, a.csrf_token);
  EXPECT_EQ(store.size(), 2u);
}

TEST(SessionStore, TouchFindsTheSessionWithItsAccount) {
  SessionStore store;
  ConsoleSession s = store.create("AKIA1", "111122223333", 1000);
  auto found = store.touch(s.id, 2000);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->account_id, "111122223333");
  EXPECT_EQ(found->access_key_id, "AKIA1");
  EXPECT_EQ(found->csrf_token, s.csrf_token);
  EXPECT_EQ(found->last_seen_ms, 2000);
  EXPECT_FALSE(store.touch("not-a-session", 2000));
  EXPECT_FALSE(store.touch("", 2000));
}

TEST(SessionStore, IdleSessionsExpireAndUseKeepsThemAlive) {
  SessionStore store({.idle_timeout_ms = 100, .max_lifetime_ms = 1000, .max_sessions = 10});
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  EXPECT_TRUE(store.touch(s.id, 90));
  EXPECT_TRUE(store.touch(s.id, 180));  // 90 ms after the last use
  EXPECT_FALSE(store.touch(s.id, 280));  // idle for 100 ms
  EXPECT_EQ(store.size(), 0u);           // and dropped
}

TEST(SessionStore, SessionsEndAtTheirMaximumLifetimeEvenWhenUsed) {
  SessionStore store({.idle_timeout_ms = 100, .max_lifetime_ms = 250, .max_sessions = 10});
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  EXPECT_TRUE(store.touch(s.id, 90));
  EXPECT_TRUE(store.touch(s.id, 180));
  EXPECT_FALSE(store.touch(s.id, 250));
}

TEST(SessionStore, RemoveSignsOut) {
  SessionStore store;
  ConsoleSession s = store.create("AKIA1", "111122223333", 0);
  store.remove(s.id);
  EXPECT_FALSE(store.touch(s.id, 1));
  store.remove("unknown");  // ignored
}

TEST(SessionStore, AFullStoreDropsExpiredThenLeastRecentlyUsed) {
  SessionStore store({.idle_timeout_ms = 100, .max_lifetime_ms = 10000, .max_sessions = 2});
  ConsoleSession a = store.create("A", "111122223333", 0);
  ConsoleSession b = store.create("B", "111122223333", 50);
  ConsoleSession c = store.create("C", "111122223333", 120);  // a has expired: it goes
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.touch(a.id, 121));
  EXPECT_TRUE(store.touch(b.id, 130));
  ConsoleSession d = store.create("D", "111122223333", 140);  // none expired: c is least recent
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.touch(c.id, 141));
  EXPECT_TRUE(store.touch(b.id, 141));
  EXPECT_TRUE(store.touch(d.id, 141));
}

}  // namespace
}  // namespace berth::api::console
