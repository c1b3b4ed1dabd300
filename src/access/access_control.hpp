// AccessControl: the one enforcement point both front ends call before
// they act. It decides whether an Identity may perform an ECR action
// ("ecr:<Operation>"; /v2/ requests map to the same actions) on a target,
// as AWS decides it (policy/evaluator.hpp): the repository policy stored
// with the repository (or, for the registry-governed actions, the registry
// policy), the caller's identity policy, same- or cross-account.
//
// Under registry policy scope V2 (the default; registry/account_settings.hpp)
// the registry policy also governs every other action, beside the
// repository policy: a Deny in either wins, an Allow in either grants.
//
// The policies are read from the metadata store on every decision (no
// process caches metadata, so a policy set through one process holds at
// once on every other); their parsed form is cached by text (PolicyCache),
// so a decision costs one repository read plus the evaluation.
//
// Where the ECR front end keeps the documents (its settings JSON):
// repository policy in the repository's settings member "repositoryPolicy",
// resource tags in "tags" ([{"Key", "Value"}]), the registry policy in the
// registry's settings member "registryPolicy". The constants below are the
// one spelling both sides use.
//
// Thread-safety: authorize() may run concurrently from any thread; it
// blocks (metadata reads), so front ends call it on the blocking pool.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/identity.hpp"
#include "policy/cache.hpp"
#include "policy/evaluator.hpp"
#include "policy/request_context.hpp"
#include "registry/registry.hpp"
#include "util/result.hpp"

namespace berth::access {

inline constexpr std::string_view kRepositoryPolicySetting = "repositoryPolicy";
inline constexpr std::string_view kResourceTagsSetting = "tags";
inline constexpr std::string_view kRegistryPolicySetting = "registryPolicy";

// The detail of a kDenied Error from authorize(): the ECR exception name.
inline constexpr std::string_view kAccessDenied = "AccessDeniedException";

// What an action applies to.
enum class Scope {
  kRepository,  // one repository: its repository policy applies
  kRepositories,  // every repository of the registry (listings): identity
                  // (and the registry policy under scope V2)
  kRegistry,    // registry-governed actions (CreateRepository, ReplicateImage,
                // BatchImportUpstreamImage): the registry policy applies
  kAccount,     // account-wide actions (PutRegistryPolicy, ...): resource "*"
};

struct Target {
  std::string registry;    // "<account>:<region>"
  std::string repository;  // kRepository, kRegistry (the repository to create)
  Scope scope = Scope::kRepository;
};

// Facts of the request for condition keys.
struct RequestFacts {
  std::string_view source_ip;
  bool secure_transport = false;
  const policy::Tags* request_tags = nullptr;
  const std::vector<std::string>* tag_keys = nullptr;
};

class AccessControl {
 public:
  explicit AccessControl(registry::Registry& registry) : registry_(registry) {}

  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  // ok() when allowed. kDenied, detail kAccessDenied, with AWS's message
  // ("User: <arn> is not authorized to perform: <action> on resource:
  // <arn> because ...") when not. A repository that does not exist has no
  // policy (the handler then reports it missing, if the caller may ask).
  // kUnavailable and friends when the store fails.
  Status authorize(const auth::Identity& who, std::string_view action, const Target& target,
                   const RequestFacts& facts = {});

  // As authorize() for a kRepository target whose stored settings JSON the
  // caller has already read (a listing's records): a page of repositories
  // is decided without reading each one again.
  Status authorize_with_settings(const auth::Identity& who, std::string_view action,
                                 const Target& target, std::string_view settings_json,
                                 const RequestFacts& facts = {});

  // Allowed when any of `actions` is allowed; a denial names the first.
  // (A /v2/ blob HEAD is a pull for pullers and a layer check for pushers.)
  // REQUIRES: actions is not empty.
  Status authorize_any(const auth::Identity& who, std::span<const std::string_view> actions,
                       const Target& target, const RequestFacts& facts = {});

  // As authorize_any; for a kRepository target that exists, also hands back
  // the repository record the decision read, so a handler that goes on to
  // use the repository (a manifest pull) need not read it again.
  Status authorize_any(const auth::Identity& who, std::span<const std::string_view> actions,
                       const Target& target, const RequestFacts& facts,
                       std::optional<registry::RepositoryRecord>& repository_read);

  // The lockout check of SetRepositoryPolicy: whether `policy_text` would
  // still let `who` and the owning account's root perform
  // ecr:SetRepositoryPolicy on the repository. kInvalidArgument when the
  // text does not parse.
  Result<bool> keeps_policy_control(const auth::Identity& who, const Target& target,
                                    std::string_view policy_text, const RequestFacts& facts = {});

  // The resource ARN `target` stands for in policies and messages.
  static std::string resource_arn(const Target& target);

 private:
  struct Loaded;
  Result<Loaded> load(const Target& target, bool want_tags,
                      std::optional<registry::RepositoryRecord>* repository_read = nullptr);
  Status add_registry_policy(const Target& target, Loaded& loaded);
  Loaded parse_settings(const Target& target, std::string_view settings, std::string_view member,
                        bool want_tags);
  Status first_allowed(const auth::Identity& who, std::span<const std::string_view> actions,
                       const Target& target, const Loaded& loaded, const RequestFacts& facts);
  policy::Decision decide(const auth::Identity& who, std::string_view action,
                          const Target& target, const Loaded& loaded, const RequestFacts& facts);

  registry::Registry& registry_;
  policy::PolicyCache cache_;
};

}  // namespace berth::access
