#include "policy/evaluator.hpp"

#include <gtest/gtest.h>

#include "policy/arn.hpp"
#include "policy/cache.hpp"

namespace berth::policy {
namespace {

constexpr std::string_view kOwner = "111111111111";
constexpr std::string_view kOther = "222222222222";
constexpr std::string_view kRepo = "arn:aws:ecr:us-east-1:111111111111:repository/team/app";

Document doc(std::string_view text) {
  auto parsed = parse_document(text);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : Document{};
}

struct Who {
  std::string account;
  std::string principal;  // root | user/x | role/x
};

Decision run(const Who& who, std::string_view action, const Document* resource_policy,
             const Document* identity_policy = nullptr, std::string_view resource = kRepo) {
  const std::string arn = principal_arn(who.account, who.principal);
  RequestContext r;
  r.principal_arn = arn;
  r.principal_account = who.account;
  r.username = who.principal.starts_with("user/") ? std::string_view(who.principal).substr(5)
                                                   : std::string_view();
  r.action = action;
  r.resource = resource;
  r.source_ip = "10.0.0.7";
  Caller caller{who.principal == "root", identity_policy};
  return decide(r, caller, resource_policy, kOwner);
}

const Who kOwnerRoot{"111111111111", "root"};
const Who kOwnerAlice{"111111111111", "user/alice"};
const Who kOwnerBob{"111111111111", "user/bob"};
const Who kOwnerCi{"111111111111", "role/ci"};
const Who kOtherRoot{"222222222222", "root"};
const Who kOtherAlice{"222222222222", "user/alice"};

TEST(Decide, WithoutPoliciesOnlyTheOwnersRootMayAct) {
  EXPECT_EQ(run(kOwnerRoot, "ecr:PutImage", nullptr), Decision::kAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", nullptr), Decision::kNoIdentityAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", nullptr), Decision::kNoResourceAllow);
}

TEST(Decide, UserGuideAllowPullFromAnotherAccount) {
  const Document p = doc(R"({"Version": "2012-10-17", "Statement": [{"Sid": "AllowPull",
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})");
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", &p), Decision::kAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:GetDownloadUrlForLayer", &p), Decision::kAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:PutImage", &p), Decision::kNoResourceAllow);
  // A user of the other account: the grant names its account; its own
  // identity policy, when it has one, must allow too.
  EXPECT_EQ(run(kOtherAlice, "ecr:BatchGetImage", &p), Decision::kAllow);
  const Document pull_only = doc(R"({"Statement": {"Effect": "Allow", "Action": "ecr:Batch*",
    "Resource": "*"}})");
  EXPECT_EQ(run(kOtherAlice, "ecr:BatchGetImage", &p, &pull_only), Decision::kAllow);
  EXPECT_EQ(run(kOtherAlice, "ecr:GetDownloadUrlForLayer", &p, &pull_only),
            Decision::kNoIdentityAllow);
  // The account id alone means the same as its root ARN.
  const Document by_id = doc(R"({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["222222222222"]},
    "Action": "ecr:BatchGetImage"}]})");
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", &by_id), Decision::kAllow);
}

TEST(Decide, UserGuideDenyAllButOneUser) {
  const Document p = doc(R"({"Version": "2012-10-17", "Statement": [
    {"Sid": "AllowAlice", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"}, "Action": "ecr:*"},
    {"Sid": "DenyEveryoneElse", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
     "Condition": {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}}}]})");
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", &p), Decision::kAllow);
  EXPECT_EQ(run(kOwnerBob, "ecr:BatchGetImage", &p), Decision::kExplicitDenyResource);
  EXPECT_EQ(run(kOwnerRoot, "ecr:BatchGetImage", &p), Decision::kExplicitDenyResource);
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", &p), Decision::kExplicitDenyResource);
}

TEST(Decide, UserGuideAllowPushFromARole) {
  const Document p = doc(R"({"Version": "2012-10-17", "Statement": [{"Sid": "AllowPush",
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/ci"},
    "Action": ["ecr:CompleteLayerUpload", "ecr:UploadLayerPart", "ecr:InitiateLayerUpload",
               "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]}]})");
  EXPECT_EQ(run(kOwnerCi, "ecr:PutImage", &p), Decision::kAllow);
  EXPECT_EQ(run(kOwnerCi, "ecr:BatchDeleteImage", &p), Decision::kNoIdentityAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", &p), Decision::kNoIdentityAllow);
  EXPECT_EQ(run(kOwnerRoot, "ecr:BatchDeleteImage", &p), Decision::kAllow);
}

TEST(Decide, ExplicitDenyWinsOverEveryAllow) {
  const Document p = doc(R"({"Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "ecr:*"},
    {"Effect": "Deny", "Principal": "*", "Action": "ecr:BatchDeleteImage"}]})");
  const Document identity_all = doc(R"({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})");
  EXPECT_EQ(run(kOwnerRoot, "ecr:BatchDeleteImage", &p), Decision::kExplicitDenyResource);
  EXPECT_EQ(run(kOwnerAlice, "ecr:BatchDeleteImage", &p, &identity_all),
            Decision::kExplicitDenyResource);
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", &p), Decision::kAllow);
  const Document identity_deny = doc(R"({"Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "ecr:PutImage", "Resource": "*"}]})");
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", &p, &identity_deny), Decision::kExplicitDenyIdentity);
  EXPECT_EQ(run(kOwnerRoot, "ecr:PutImage", nullptr, &identity_deny),
            Decision::kExplicitDenyIdentity);
}

TEST(Decide, IdentityPoliciesWithinTheAccount) {
  const Document team_only = doc(R"({"Statement": {"Effect": "Allow", "Action": ["ecr:Batch*", "ecr:PutImage"],
    "Resource": "arn:aws:ecr:*:111111111111:repository/team/*"}})");
  EXPECT_EQ(run(kOwnerAlice, "ecr:BatchGetImage", nullptr, &team_only), Decision::kAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", nullptr, &team_only), Decision::kAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:DeleteRepository", nullptr, &team_only), Decision::kNoIdentityAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:BatchGetImage", nullptr, &team_only,
                "arn:aws:ecr:us-east-1:111111111111:repository/other"),
            Decision::kNoIdentityAllow);
  const Document not_action = doc(R"({"Statement": {"Effect": "Allow", "NotAction": "ecr:Delete*",
    "NotResource": "arn:aws:ecr:*:*:repository/secret/*"}})");
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", nullptr, &not_action), Decision::kAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:DeleteRepository", nullptr, &not_action), Decision::kNoIdentityAllow);
  EXPECT_EQ(run(kOwnerAlice, "ecr:PutImage", nullptr, &not_action,
                "arn:aws:ecr:us-east-1:111111111111:repository/secret/x"),
            Decision::kNoIdentityAllow);
  // Cross-account, an identity allow alone is not enough.
  EXPECT_EQ(run(kOtherAlice, "ecr:PutImage", nullptr, &not_action), Decision::kNoResourceAllow);
}

TEST(Decide, NotPrincipalAndConditions) {
  const Document p = doc(R"({"Statement": [
    {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111111111111:role/ci"]},
     "Action": "ecr:PutImage"},
    {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "ecr:BatchGetImage",
     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}}},
    {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "ecr:ListImages",
     "Condition": {"IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}},
    {"Effect": "Allow", "Principal": "*", "Action": "ecr:DescribeImages",
     "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-123"}}}]})");
  EXPECT_EQ(run(kOwnerRoot, "ecr:PutImage", &p), Decision::kExplicitDenyResource);
  EXPECT_EQ(run(kOwnerCi, "ecr:PutImage", &p), Decision::kNoIdentityAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", &p), Decision::kAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:ListImages", &p), Decision::kNoResourceAllow);
  // An unknown condition key grants nothing.
  EXPECT_EQ(run(kOtherRoot, "ecr:DescribeImages", &p), Decision::kNoResourceAllow);
}

TEST(Decide, ActionWildcardsAreCaseInsensitive) {
  const Document p = doc(R"({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
    "Action": ["ECR:batch*", "ecr:Get?ownloadUrlForLayer"]}})");
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchGetImage", &p), Decision::kAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:BatchDeleteImage", &p), Decision::kAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:GetDownloadUrlForLayer", &p), Decision::kAllow);
  EXPECT_EQ(run(kOtherRoot, "ecr:PutImage", &p), Decision::kNoResourceAllow);
}

TEST(Decide, SeveralResourcePoliciesAllowAnyAndDenyFirst) {
  // A repository policy beside a registry policy (registry policy scope V2).
  const Document pull = doc(R"({"Statement": {"Effect": "Allow", "Principal": {"AWS": "222222222222"},
    "Action": "ecr:BatchGetImage"}})");
  const Document deny_delete = doc(R"({"Statement": {"Effect": "Deny", "Principal": "*",
    "Action": "ecr:BatchDeleteImage"}})");
  const Document push = doc(R"({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
    "Action": ["ecr:PutImage", "ecr:BatchDeleteImage"]}})");
  const Document* const both[] = {&pull, &push};
  const Document* const with_deny[] = {&push, nullptr, &deny_delete};
  auto decide_with = [&](std::span<const Document* const> policies, std::string_view action) {
    const std::string arn = principal_arn(kOther, "root");
    RequestContext r;
    r.principal_arn = arn;
    r.principal_account = kOther;
    r.action = action;
    r.resource = kRepo;
    return decide(r, Caller{true, nullptr}, policies, kOwner);
  };
  EXPECT_EQ(decide_with(both, "ecr:BatchGetImage"), Decision::kAllow);
  EXPECT_EQ(decide_with(both, "ecr:PutImage"), Decision::kAllow);
  EXPECT_EQ(decide_with(both, "ecr:DescribeImages"), Decision::kNoResourceAllow);
  EXPECT_EQ(decide_with(with_deny, "ecr:PutImage"), Decision::kAllow);
  EXPECT_EQ(decide_with(with_deny, "ecr:BatchDeleteImage"), Decision::kExplicitDenyResource);
  EXPECT_EQ(decide_with({}, "ecr:BatchGetImage"), Decision::kNoResourceAllow);
}

TEST(Decide, Messages) {
  const std::string arn = "arn:aws:iam::222222222222:root";
  EXPECT_EQ(denial_message(Decision::kNoResourceAllow, arn, "ecr:BatchGetImage", kRepo),
            "User: arn:aws:iam::222222222222:root is not authorized to perform: "
            "ecr:BatchGetImage on resource: " + std::string(kRepo) +
            " because no resource-based policy allows the ecr:BatchGetImage action");
  EXPECT_TRUE(denial_message(Decision::kExplicitDenyResource, arn, "ecr:PutImage", kRepo)
                  .ends_with(" with an explicit deny in a resource-based policy"));
  EXPECT_TRUE(denial_message(Decision::kNoIdentityAllow, arn, "ecr:PutImage", kRepo)
                  .ends_with("because no identity-based policy allows the ecr:PutImage action"));
}

TEST(PolicyCache, ParsesOnceAndKeepsErrorsOut) {
  PolicyCache cache(2);
  const std::string text = R"({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}})";
  auto a = cache.get(text);
  auto b = cache.get(text);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_FALSE(cache.get("{"));
  EXPECT_EQ(cache.size(), 1u);
  ASSERT_TRUE(cache.get(R"({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*"}})"));
  ASSERT_TRUE(cache.get(R"({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "x"}})"));
  EXPECT_LE(cache.size(), 2u);
}

}  // namespace
}  // namespace berth::policy
