#include "registry/account_settings.hpp"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(AccountSettings, DefaultsWhenNothingIsStored) {
  EXPECT_EQ(account_setting("{}", kRegistryPolicyScope), "V2");
  EXPECT_EQ(account_setting("", kBlobMounting), "ENABLED");
  EXPECT_EQ(account_setting(R"({"registryPolicy":"{}"})", kBasicScanTypeVersion), "AWS_NATIVE");
  EXPECT_TRUE(registry_policy_applies_everywhere("{}"));
  EXPECT_FALSE(find_account_setting("NOT_A_SETTING").has_value());
}

TEST(AccountSettings, StoredValuesWinAndKeepTheRestOfTheSettings) {
  auto v1 = with_account_setting(R"({"registryPolicy":"text"})", kRegistryPolicyScope, "V1");
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_NE(v1->find(R"("registryPolicy":"text")"), std::string::npos);
  EXPECT_EQ(account_setting(*v1, kRegistryPolicyScope), "V1");
  EXPECT_FALSE(registry_policy_applies_everywhere(*v1));
  EXPECT_EQ(account_setting(*v1, kBlobMounting), "ENABLED");

  auto both = with_account_setting(*v1, kBlobMounting, "DISABLED");
  ASSERT_TRUE(both);
  EXPECT_EQ(account_setting(*both, kBlobMounting), "DISABLED");
  EXPECT_EQ(account_setting(*both, kRegistryPolicyScope), "V1");

  auto back = with_account_setting(*both, kRegistryPolicyScope, "V2");
  ASSERT_TRUE(back);
  EXPECT_TRUE(registry_policy_applies_everywhere(*back));
}

TEST(AccountSettings, UnreadableValuesFallBackToTheDefault) {
  EXPECT_EQ(account_setting(R"({"accountSettings":{"REGISTRY_POLICY_SCOPE":"V9"}})",
                            kRegistryPolicyScope),
            "V2");
  EXPECT_EQ(account_setting(R"({"accountSettings":"junk"})", kRegistryPolicyScope), "V2");
  EXPECT_EQ(account_setting(R"({"accountSettings":)", kRegistryPolicyScope), "V2");
  EXPECT_FALSE(with_account_setting("[1]", kBlobMounting, "ENABLED").has_value());
}

}  // namespace
}  // namespace berth::registry
