// Fuzz target: IAM policies (policy/document.hpp) and their evaluation
// (policy/evaluator.hpp). The input is a request spec line, '\n', then the
// policy text. The spec's bytes pick the caller (account, root/user/role),
// the action, the resource and the request facts.
//
// Any text must parse or be refused as kInvalidArgument "Invalid policy:
// ...". For a policy that parses, the evaluation must keep IAM's rules:
//   - deterministic, and the same through the PolicyCache;
//   - a document whose statements are all Deny never allows, one whose
//     statements are all Allow never denies;
//   - an explicit deny in the resource policy is never overridden;
//   - the owning account's root without policies is always allowed, and a
//     caller of another account never is without a resource-policy allow.
#include <array>
#include <string>

#include "fuzz_support.hpp"
#include "policy/cache.hpp"
#include "policy/condition.hpp"
#include "policy/evaluator.hpp"
#include "policy/wildcard.hpp"

namespace {

using namespace berth::policy;

constexpr std::array<std::string_view, 3> kAccounts = {"111111111111", "222222222222", "333333333333"};
constexpr std::array<std::string_view, 4> kPrincipals = {"root", "user/alice", "role/ci", "user/bob"};
constexpr std::array<std::string_view, 6> kActions = {
    "ecr:BatchGetImage", "ecr:PutImage", "ecr:GetDownloadUrlForLayer",
    "ecr:SetRepositoryPolicy", "ecr:CreateRepository", "ecr:DescribeRepositories"};
constexpr std::array<std::string_view, 3> kResources = {
    "arn:aws:ecr:us-east-1:111111111111:repository/team/app",
    "arn:aws:ecr:us-east-1:111111111111:repository/*", "*"};
constexpr std::array<std::string_view, 3> kIps = {"10.0.0.7", "2001:db8::1", ""};

bool all_effects(const Document& d, Effect e) {
  for (const auto& s : d.statements) {
    if (s.effect != e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  std::string_view spec = nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? input : input.substr(nl + 1);

  auto parsed = parse_document(text);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == berth::ErrorCode::kInvalidArgument, "refusal code");
    FUZZ_CHECK(parsed.error().message.starts_with("Invalid policy: "), "refusal wording");
    FUZZ_CHECK(parsed.error().message.size() < 512, "bounded message");
    return 0;
  }
  FUZZ_CHECK(!parsed->statements.empty(), "a parsed policy has statements");
  static PolicyCache cache(64);
  auto cached = cache.get(text);
  FUZZ_CHECK(cached.has_value(), "the cache parses what parse_document parses");

  auto pick = [&](std::size_t i, std::size_t n) {
    return i < spec.size() ? static_cast<unsigned char>(spec[i]) % n : i % n;
  };
  const std::string_view account = kAccounts[pick(0, kAccounts.size())];
  const std::string_view principal = kPrincipals[pick(1, kPrincipals.size())];
  const std::string arn = "arn:aws:iam::" + std::string(account) + ":" + std::string(principal);
  const Tags tags = {{"team", "blue"}, {"env", std::string(spec.substr(0, std::min<std::size_t>(spec.size(), 8)))}};
  RequestContext r;
  r.principal_arn = arn;
  r.principal_account = account;
  r.username = principal.starts_with("user/") ? principal.substr(5) : std::string_view();
  r.action = kActions[pick(2, kActions.size())];
  r.resource = kResources[pick(3, kResources.size())];
  r.source_ip = kIps[pick(4, kIps.size())];
  r.secure_transport = pick(5, 2) == 1;
  r.current_time_ms = 1'800'000'000'000 + static_cast<std::int64_t>(pick(6, 200)) * 86'400'000;
  r.resource_tags = &tags;
  r.request_tags = pick(7, 2) == 1 ? &tags : nullptr;

  const Verdict as_resource = evaluate(*parsed, PolicyKind::kResource, r);
  const Verdict as_identity = evaluate(*parsed, PolicyKind::kIdentity, r);
  FUZZ_CHECK(as_resource == evaluate(**cached, PolicyKind::kResource, r), "deterministic");
  FUZZ_CHECK(as_identity == evaluate(**cached, PolicyKind::kIdentity, r), "deterministic");
  if (all_effects(*parsed, Effect::kDeny)) {
    FUZZ_CHECK(as_resource != Verdict::kAllow && as_identity != Verdict::kAllow, "deny-only allows");
  }
  if (all_effects(*parsed, Effect::kAllow)) {
    FUZZ_CHECK(as_resource != Verdict::kDeny && as_identity != Verdict::kDeny, "allow-only denies");
  }

  const std::string_view owner = kAccounts[0];
  const Caller caller{principal == "root", nullptr};
  const Decision with_resource = decide(r, caller, &*parsed, owner);
  if (as_resource == Verdict::kDeny) {
    FUZZ_CHECK(with_resource == Decision::kExplicitDenyResource, "explicit deny overridden");
  }
  if (account != owner) {
    FUZZ_CHECK(allowed(with_resource) == (as_resource == Verdict::kAllow), "cross-account rule");
  }
  const Decision no_policies = decide(r, caller, nullptr, owner);
  FUZZ_CHECK(allowed(no_policies) == (account == owner && principal == "root"), "no policies");
  const Caller with_identity{principal == "root", &*parsed};
  const Decision both = decide(r, with_identity, &*parsed, owner);
  if (as_identity == Verdict::kDeny || as_resource == Verdict::kDeny) {
    FUZZ_CHECK(!allowed(both), "an explicit deny is final");
  }
  // The wildcard matcher on the raw text: "*" matches anything, a text
  // matches itself when it holds no wildcard.
  FUZZ_CHECK(wildcard_match("*", text), "star");
  if (text.find_first_of("*?") == std::string_view::npos) FUZZ_CHECK(wildcard_match(text, text), "self");
  (void)parse_date_ms(spec);
  (void)ip_in_cidr(spec, "10.0.0.0/8");
  return 0;
}
