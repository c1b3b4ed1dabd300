#include "api/console/sign_in.hpp"

#include <gtest/gtest.h>

namespace berth::api::console {
namespace {

constexpr std::string_view kKey = "AKIAEXAMPLEEXAMPLE01";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

SignInPolicy policy_with(std::shared_ptr<auth::CredentialStore> store) {
  EXPECT_TRUE(store->add(auth::Credential{std::string(kKey), std::string(kSecret), "111122223333",
                                          std::nullopt, std::nullopt}));
  EXPECT_TRUE(store->add(auth::Credential{"AKIAEXPIRED000000001", "expired-secret", "111122223333",
                                          std::nullopt, 5000}));
  EXPECT_TRUE(store->add(auth::Credential{"ASIATEMPORARY0000001", "temp-secret", "111122223333",
                                          std::string("token"), std::nullopt}));
  return SignInPolicy{true, store, "123456789012"};
}

TEST(ConsoleSignIn, TheRightSecretSignsInAsTheKeysAccount) {
  SignInPolicy policy = policy_with(std::make_shared<auth::CredentialStore>());
  auto account = check_sign_in(policy, kKey, kSecret, 1000);
  ASSERT_TRUE(account);
  EXPECT_EQ(account->account_id, "111122223333");
}

TEST(ConsoleSignIn, EveryRefusalSaysTheSameThing) {
  SignInPolicy policy = policy_with(std::make_shared<auth::CredentialStore>());
  const auto wrong_secret = check_sign_in(policy, kKey, "not-the-secret", 1000);
  const auto unknown_key = check_sign_in(policy, "AKIAUNKNOWN000000001", kSecret, 1000);
  const auto empty = check_sign_in(policy, "", "", 1000);
  const auto expired = check_sign_in(policy, "AKIAEXPIRED000000001", "expired-secret", 6000);
  const auto temporary = check_sign_in(policy, "ASIATEMPORARY0000001", "temp-secret", 1000);
  for (const auto* result : {&wrong_secret, &unknown_key, &empty, &expired, &temporary}) {
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(result->error().message, kSignInRefused);
  }
  EXPECT_TRUE(check_sign_in(policy, "AKIAEXPIRED000000001", "expired-secret", 4000));
}

TEST(ConsoleSignIn, DevelopmentModeLetsUnknownKeysInAsTheDefaultAccountButChecksKnownOnes) {
  auto store = std::make_shared<auth::CredentialStore>();
  SignInPolicy policy = policy_with(store);
  ASSERT_TRUE(store->accept_any_key("123456789012"));
  auto unknown = check_sign_in(policy, "AKIAANYTHING00000001", "anything", 1000);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->account_id, "123456789012");
  EXPECT_FALSE(check_sign_in(policy, kKey, "wrong", 1000));
}

TEST(ConsoleSignIn, WithAuthenticationOffAnyKeyIsTheDefaultAccount) {
  SignInPolicy policy{false, nullptr, "123456789012"};
  auto account = check_sign_in(policy, "anyone", "anything", 1000);
  ASSERT_TRUE(account);
  EXPECT_EQ(account->account_id, "123456789012");
  EXPECT_FALSE(check_sign_in(policy, "", "anything", 1000));
}

TEST(ConsoleSignIn, ASessionKeepsItsKeyOnlyWhileTheKeyStillSignsInAsTheSameIdentity) {
  auto store = std::make_shared<auth::CredentialStore>();
  SignInPolicy policy = policy_with(store);
  auto signed_in = check_sign_in(policy, kKey, kSecret, 1000);
  ASSERT_TRUE(signed_in);
  EXPECT_TRUE(recheck_sign_in(policy, *signed_in, 2000));
  // Another principal or account than the key has now: refused.
  auth::Identity as_user = *signed_in;
  as_user.principal = "user/someone";
  EXPECT_FALSE(recheck_sign_in(policy, as_user, 2000));
  auth::Identity elsewhere = *signed_in;
  elsewhere.account_id = "999999999999";
  EXPECT_FALSE(recheck_sign_in(policy, elsewhere, 2000));
  // Expired or unknown keys: refused.
  EXPECT_FALSE(recheck_sign_in(policy, auth::Identity{"AKIAEXPIRED000000001", "111122223333"}, 6000));
  EXPECT_FALSE(recheck_sign_in(policy, auth::Identity{"AKIAUNKNOWN000000001", "111122223333"}, 2000));
}

}  // namespace
}  // namespace berth::api::console
