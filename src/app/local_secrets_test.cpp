#include "app/local_secrets.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "crypto/hasher.hpp"
#include "util/hex.hpp"

namespace berth::app {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir() {
  const char* base = std::getenv("BERTH_TEST_TMPDIR");
  fs::path dir = fs::path(base ? base : "/tmp") /
                 ("local-secrets-" + to_hex(crypto::random_bytes(6)));
  fs::create_directories(dir);
  return dir;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(LocalSecrets, TokenSecretIsCreatedOncePrivatelyAndKept) {
  fs::path dir = fresh_dir();
  auto first = load_or_create_token_secret(dir);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(mode_of(dir / kTokenSecretFile), 0600u);
  auto second = load_or_create_token_secret(dir);
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
  fs::remove_all(dir);
}

TEST(LocalSecrets, ShortTokenSecretIsRefused) {
  fs::path dir = fresh_dir();
  std::ofstream(dir / kTokenSecretFile) << "short\n";
  auto secret = load_or_create_token_secret(dir);
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, ErrorCode::kCorruption);
  fs::remove_all(dir);
}

TEST(LocalSecrets, CredentialsAreGeneratedOnceAndFollowTheAccountFlag) {
  fs::path dir = fresh_dir();
  auto first = load_or_create_local_credentials(dir, "123456789012");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->access_key_id.size(), 20u);
  EXPECT_EQ(first->access_key_id.rfind("AKIA", 0), 0u);
  EXPECT_EQ(first->account_id, "123456789012");
  EXPECT_EQ(mode_of(dir / kLocalCredentialsFile), 0600u);
  auto again = load_or_create_local_credentials(dir, "111122223333");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->access_key_id, first->access_key_id);
  EXPECT_EQ(again->secret_access_key, first->secret_access_key);
  EXPECT_EQ(again->account_id, "111122223333");
  // The file is in the --credentials format.
  auto store = auth::CredentialStore::load_file(dir / kLocalCredentialsFile, "123456789012");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE(store->lookup(first->access_key_id));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::app
