// The lifecycle runner: evaluates the lifecycle policies stored in
// repositories' settings (the ECR front end's "lifecyclePolicy" member) and
// applies what they decide, through the registry core:
//   - expire: Registry::expire_image deletes the image with its referrers,
//     in one metadata transaction; its blobs then go through the collector
//     (src/gc) like those of any deleted image;
//   - transition: Registry::archive_image moves it (and its referrers) to
//     the archive storage class.
// Each action is taken only if the image still is as it was evaluated (its
// tags and storage class), so a tag pushed meanwhile saves an image. Then
// the time of the evaluation is recorded in the settings
// ("lifecyclePolicyEvaluatedAt", GetLifecyclePolicy's lastEvaluatedAt),
// unless the policy changed meanwhile.
//
// plan_repository() is the evaluation alone, for previews and dry runs.
//
// One process at a time runs: a run holds the metadata store's "lifecycle"
// job lease (renewed between repositories) and skips when another process
// holds it. Without `apply` a run only reports.
//
// Thread-safety: a LifecycleRunner is used by one thread at a time; several
// runners (in one process or many) over the same stores are safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lifecycle/evaluator.hpp"
#include "lifecycle/policy.hpp"
#include "registry/registry.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::lifecycle {

// Members of the repository settings JSON (api/ecr/repository_settings.hpp
// reads and writes the same names).
inline constexpr std::string_view kPolicySetting = "lifecyclePolicy";
inline constexpr std::string_view kEvaluatedAtSetting = "lifecyclePolicyEvaluatedAt";

// The stored policy text in a settings JSON object; "" when none.
std::string stored_policy(std::string_view settings_json);

// One action a policy decides, with the image as it was evaluated.
struct PlannedAction {
  std::string digest;
  std::vector<std::string> tags;  // ascending
  std::int64_t pushed_at_ms = 0;
  StorageClass storage_class = StorageClass::kStandard;  // before the action
  ActionType type = ActionType::kExpire;
  std::int64_t rule_priority = 0;
};

// What `policy` would do to the repository at `now_ms`, oldest image first;
// the images are read from one consistent snapshot of the metadata.
Result<std::vector<PlannedAction>> plan_repository(registry::Registry& registry,
                                                   const registry::RepositoryRef& repo,
                                                   const LifecyclePolicy& policy,
                                                   std::int64_t now_ms);

struct LifecycleOptions {
  bool apply = false;      // false: a dry run that changes nothing
  std::int64_t now_ms = 0;  // the evaluation time; 0 = the clock (util/time.hpp)
  // Asked between repositories; true ends the run early (a server stopping).
  std::function<bool()> should_stop;
};

struct RepositoryOutcome {
  registry::RepositoryRef repo;
  std::vector<PlannedAction> actions;
  std::vector<bool> done;  // per action, when applied: false = skipped (the image changed)
  std::string error;       // the repository failed (its policy is kept for the next run)
};

struct LifecycleReport {
  bool ran = false;      // false: another process holds the lease
  bool applied = false;  // false: a dry run
  std::int64_t evaluated_at_ms = 0;
  std::uint64_t repositories = 0;  // with a policy, evaluated
  std::uint64_t expired = 0;       // images (or, dry, that would be)
  std::uint64_t transitioned = 0;
  std::uint64_t skipped = 0;  // actions not taken: the image changed since its evaluation
  std::uint64_t errors = 0;   // repositories that failed
  std::string first_error;
  // The repositories where the policy acts (or that failed).
  std::vector<RepositoryOutcome> outcomes;
};

class LifecycleRunner {
 public:
  LifecycleRunner(registry::Registry& registry, storage::meta::MetaStore& meta,
                  LifecycleOptions options);

  // One pass over every repository of every registry. Errors only when the
  // stores fail as a whole (a listing or the lease); a repository that
  // fails is counted in the report and evaluated again next time.
  Result<LifecycleReport> run();

 private:
  // Evaluates (and applies) one repository's policy into `report`.
  void evaluate_repository(const registry::RepositoryRecord& record, const std::string& policy_text,
                           LifecycleReport& report);

  registry::Registry& registry_;
  storage::meta::MetaStore& meta_;
  LifecycleOptions options_;
};

}  // namespace berth::lifecycle
