// Policy decisions: every authenticated request on either API is decided
// by policy::decide over the repository policy (parsed once, from the
// PolicyCache) and, for users and roles, their identity policy. Issue 12's
// budget is 5 µs for a decision over a typical policy; these cases are the
// ECR user guide's repository policies and an identity policy, decided for
// an allowed and a denied caller, and the cache lookup by text that
// precedes each decision.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "policy/arn.hpp"
#include "policy/cache.hpp"
#include "policy/evaluator.hpp"

namespace berth::bench {
namespace {

constexpr std::string_view kOwner = "111111111111";
constexpr std::string_view kRepo = "arn:aws:ecr:us-east-1:111111111111:repository/team/app";

constexpr std::string_view kCrossAccountPull = R"({"Version": "2012-10-17", "Statement": [
  {"Sid": "AllowPull", "Effect": "Allow",
   "Principal": {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]},
   "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]},
  {"Sid": "AllowPushCi", "Effect": "Allow",
   "Principal": {"AWS": "arn:aws:iam::111111111111:role/ci"},
   "Action": ["ecr:CompleteLayerUpload", "ecr:UploadLayerPart", "ecr:InitiateLayerUpload",
              "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]},
  {"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "ecr:BatchDelete*"}]})";

constexpr std::string_view kConditional = R"({"Version": "2012-10-17", "Statement": [
  {"Sid": "DenyAllButAlice", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
   "Condition": {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}}},
  {"Sid": "OnlyFromTheOffice", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
   "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}}]})";

constexpr std::string_view kIdentity = R"({"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["ecr:Batch*", "ecr:GetDownloadUrlForLayer"],
   "Resource": "arn:aws:ecr:*:111111111111:repository/team/*"},
  {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]})";

std::shared_ptr<const policy::Document> parsed(std::string_view text) {
  static policy::PolicyCache cache;
  return *cache.get(text);
}

void run_decision(benchmark::State& state, std::string_view policy_text, std::string account,
                  std::string principal, std::string_view action, bool with_identity,
                  bool expect_allowed) {
  auto resource_policy = parsed(policy_text);
  auto identity_policy = with_identity ? parsed(kIdentity) : nullptr;
  const std::string arn = policy::principal_arn(account, principal);
  policy::RequestContext r;
  r.principal_arn = arn;
  r.principal_account = account;
  r.action = action;
  r.resource = kRepo;
  r.source_ip = "10.1.2.3";
  r.current_time_ms = 1'800'000'000'000;
  const policy::Caller caller{principal == "root", identity_policy.get()};
  if (policy::allowed(policy::decide(r, caller, resource_policy.get(), kOwner)) != expect_allowed) {
    state.SkipWithError("unexpected decision");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(policy::decide(r, caller, resource_policy.get(), kOwner));
  }
}

void BM_Decide_CrossAccountPullAllowed(benchmark::State& state) {
  run_decision(state, kCrossAccountPull, "222222222222", "root", "ecr:BatchGetImage", false, true);
}
void BM_Decide_CrossAccountPushDenied(benchmark::State& state) {
  run_decision(state, kCrossAccountPull, "333333333333", "root", "ecr:PutImage", false, false);
}
void BM_Decide_SameAccountRoleWithIdentityPolicy(benchmark::State& state) {
  run_decision(state, kCrossAccountPull, "111111111111", "role/reader", "ecr:BatchGetImage", true,
               true);
}
void BM_Decide_ConditionsDenyAllButOneUser(benchmark::State& state) {
  run_decision(state, kConditional, "111111111111", "user/bob", "ecr:BatchGetImage", false, false);
}

// What precedes every decision: the stored text looked up in the cache.
void BM_PolicyCacheHit(benchmark::State& state) {
  policy::PolicyCache cache;
  const std::string text(kCrossAccountPull);
  (void)cache.get(text);
  for (auto _ : state) benchmark::DoNotOptimize(cache.get(text));
}

// A cache miss: parsing the user guide's policy once.
void BM_ParsePolicy(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(policy::parse_document(kCrossAccountPull));
}

BENCHMARK(BM_Decide_CrossAccountPullAllowed);
BENCHMARK(BM_Decide_CrossAccountPushDenied);
BENCHMARK(BM_Decide_SameAccountRoleWithIdentityPolicy);
BENCHMARK(BM_Decide_ConditionsDenyAllButOneUser);
BENCHMARK(BM_PolicyCacheHit);
BENCHMARK(BM_ParsePolicy);

}  // namespace
}  // namespace berth::bench
