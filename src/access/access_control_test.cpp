#include "access/access_control.hpp"

#include <gtest/gtest.h>

#include <array>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "policy/document.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::access {
namespace {

constexpr std::string_view kRegistry = "111111111111:us-east-1";

auth::Identity identity(std::string account, std::string principal,
                        std::string_view identity_policy = {}) {
  auth::Identity who;
  who.access_key_id = "AKIATEST";
  who.account_id = std::move(account);
  who.principal = std::move(principal);
  if (!identity_policy.empty()) {
    auto parsed = policy::parse_document(identity_policy);
    EXPECT_TRUE(parsed) << parsed.error().message;
    who.identity_policy = std::make_shared<const policy::Document>(std::move(*parsed));
  }
  return who;
}

class AccessControlTest : public ::testing::Test {
 protected:
  AccessControlTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_),
        access_(registry_) {}
  ~AccessControlTest() override { pool_.join(); }

  void create(std::string name, std::string_view policy_text = {},
              boost::json::array tags = {}) {
    boost::json::object settings{{"imageTagMutability", "MUTABLE"}, {"tags", std::move(tags)}};
    if (!policy_text.empty()) settings[kRepositoryPolicySetting] = policy_text;
    ASSERT_TRUE(registry_.create_repository({std::string(kRegistry), std::move(name)},
                                            boost::json::serialize(settings)));
  }

  Target repo(std::string name) { return Target{std::string(kRegistry), std::move(name)}; }

  boost::asio::thread_pool pool_{1};
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  registry::Registry registry_;
  AccessControl access_;
};

TEST_F(AccessControlTest, OwnerRootMayDoAnythingWithoutPolicies) {
  create("app");
  EXPECT_TRUE(access_.authorize(identity("111111111111", "root"), "ecr:PutImage", repo("app")));
  EXPECT_TRUE(access_.authorize(identity("111111111111", "root"), "ecr:PutImage", repo("missing")));
  auto denied = access_.authorize(identity("111111111111", "user/alice"), "ecr:PutImage", repo("app"));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kDenied);
  EXPECT_EQ(denied.error().detail, kAccessDenied);
  EXPECT_EQ(denied.error().message,
            "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: "
            "ecr:PutImage on resource: arn:aws:ecr:us-east-1:111111111111:repository/app "
            "because no identity-based policy allows the ecr:PutImage action");
}

TEST_F(AccessControlTest, RepositoryPolicyGrantsAnotherAccountPull) {
  create("shared", R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})");
  create("private");
  const auto other = identity("222222222222", "root");
  EXPECT_TRUE(access_.authorize(other, "ecr:BatchGetImage", repo("shared")));
  auto push = access_.authorize(other, "ecr:PutImage", repo("shared"));
  ASSERT_FALSE(push);
  EXPECT_TRUE(push.error().message.ends_with(
      "because no resource-based policy allows the ecr:PutImage action"));
  EXPECT_FALSE(access_.authorize(other, "ecr:BatchGetImage", repo("private")));
  EXPECT_FALSE(access_.authorize(other, "ecr:BatchGetImage", repo("missing")));
  // Any of: a blob HEAD is allowed for a puller.
  const std::array<std::string_view, 2> head = {"ecr:BatchCheckLayerAvailability",
                                                "ecr:GetDownloadUrlForLayer"};
  EXPECT_TRUE(access_.authorize_any(other, head, repo("shared")));
}

TEST_F(AccessControlTest, ExplicitDenyAndResourceTags) {
  create("locked", R"({"Statement": {"Effect": "Deny", "Principal": "*",
    "Action": "ecr:BatchDeleteImage",
    "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}}})",
         boost::json::array{boost::json::object{{"Key", "env"}, {"Value", "prod"}}});
  const auto root = identity("111111111111", "root");
  auto denied = access_.authorize(root, "ecr:BatchDeleteImage", repo("locked"));
  ASSERT_FALSE(denied);
  EXPECT_TRUE(denied.error().message.ends_with("with an explicit deny in a resource-based policy"));
  EXPECT_TRUE(access_.authorize(root, "ecr:PutImage", repo("locked")));
}

TEST_F(AccessControlTest, IdentityPolicyAndScopes) {
  create("team/app");
  const auto ci = identity("111111111111", "role/ci", R"({"Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:111111111111:repository/team/*"},
    {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]})");
  EXPECT_TRUE(access_.authorize(ci, "ecr:PutImage", repo("team/app")));
  EXPECT_FALSE(access_.authorize(ci, "ecr:PutImage", repo("other")));
  EXPECT_TRUE(access_.authorize(ci, "ecr:GetAuthorizationToken",
                                Target{std::string(kRegistry), "", Scope::kAccount}));
  EXPECT_FALSE(access_.authorize(ci, "ecr:DescribeRepositories",
                                 Target{std::string(kRegistry), "", Scope::kRepositories}));
}

TEST_F(AccessControlTest, RegistryPolicyGovernsCreateRepositoryAcrossAccounts) {
  const Target create_target{std::string(kRegistry), "replica/app", Scope::kRegistry};
  const auto other = identity("222222222222", "root");
  EXPECT_FALSE(access_.authorize(other, "ecr:CreateRepository", create_target));
  boost::json::object settings{{kRegistryPolicySetting, R"({"Statement": {"Effect": "Allow",
    "Principal": {"AWS": "222222222222"}, "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
    "Resource": "arn:aws:ecr:us-east-1:111111111111:repository/*"}})"}};
  ASSERT_TRUE(registry_.update_registry_settings(kRegistry, boost::json::serialize(settings)));
  EXPECT_TRUE(access_.authorize(other, "ecr:CreateRepository", create_target));
  EXPECT_TRUE(access_.authorize(identity("111111111111", "root"), "ecr:CreateRepository", create_target));
}

TEST_F(AccessControlTest, LockoutCheck) {
  create("app");
  const auto root = identity("111111111111", "root");
  auto keeps = access_.keeps_policy_control(root, repo("app"), R"({"Statement": {"Effect": "Deny",
    "Principal": "*", "Action": "ecr:BatchDeleteImage"}})");
  ASSERT_TRUE(keeps);
  EXPECT_TRUE(*keeps);
  keeps = access_.keeps_policy_control(root, repo("app"), R"({"Statement": {"Effect": "Deny",
    "Principal": "*", "Action": "ecr:*"}})");
  ASSERT_TRUE(keeps);
  EXPECT_FALSE(*keeps);
  EXPECT_FALSE(access_.keeps_policy_control(root, repo("app"), "not json"));
}

}  // namespace
}  // namespace berth::access
