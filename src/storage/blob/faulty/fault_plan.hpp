// FaultPlan: the policy shared by the fault-injecting decorators
// (FaultyBlobStore, FaultyMetaStore). Every call a decorator forwards is
// first announced to the plan, which counts it and decides whether it fails.
//
// A test typically runs a scenario once unarmed to count its steps
// (calls(kMutating), calls(kAny)), then reruns it from scratch once per
// step k with arm({k, ...}), proving that a failure at any step leaves the
// stores consistent — after leveldb's SpecialEnv and Beast's fail_count.
//
// A fault either replaces the call (kBeforeCall: the backend never sees it)
// or is reported after the call really happened (kAfterCall: a lost
// acknowledgement, like an fsync error after a rename). A sticky fault keeps
// failing every matching call from the N-th on (a disk that died); with
// nth = 1 and scope kMutating it turns the stores read-only, which is how
// `berth fsck` guards its read-only mode.
//
// The plan lives in storage/blob/faulty only because both decorators need
// one shared type; it depends on util alone (library berth_fault_plan).
//
// Thread-safety: safe for concurrent use; counting and arming are under one
// mutex, so with concurrent callers "the N-th call" is the N-th to arrive.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace berth::storage::faulty {

enum class FaultScope {
  kMutating,  // count (and fail) only calls that change a store
  kAny,       // count every call, reads included
};

enum class FaultTiming {
  kBeforeCall,  // the call is not forwarded; the error is returned instead
  kAfterCall,   // the call is forwarded and its effect kept; the error is returned
};

struct Fault {
  std::uint64_t nth = 1;  // 1-based index among the calls of `scope`
  FaultScope scope = FaultScope::kMutating;
  FaultTiming timing = FaultTiming::kBeforeCall;
  ErrorCode code = ErrorCode::kUnavailable;
  std::string message = "injected fault";
  bool sticky = false;  // also fail every later call of `scope`
};

// What a decorator must do with the call it announced.
struct FaultDecision {
  std::optional<Error> before;  // return this instead of forwarding
  std::optional<Error> after;   // forward, then return this instead
};

class FaultPlan {
 public:
  FaultPlan() = default;
  FaultPlan(const FaultPlan&) = delete;
  FaultPlan& operator=(const FaultPlan&) = delete;

  // A plan that fails every mutating call before it happens, with kDenied.
  static std::shared_ptr<FaultPlan> read_only(std::string message);

  void arm(Fault fault);
  void disarm();
  // Zeroes the call counters, the fault counter and the call log.
  void reset();

  // Called by the decorators, once per forwarded call. `operation` names it
  // ("blob.commit", "meta.put_manifest") for the log and error details.
  FaultDecision on_call(std::string_view operation, bool mutating);

  std::uint64_t calls(FaultScope scope) const;
  std::uint64_t faults_injected() const;
  // Operations in call order since the last reset(), each prefixed with
  // '*' when it mutates and '!' when it was failed; for diagnostics.
  std::vector<std::string> log() const;
  // The operation that was failed first since the last reset(); "" if none.
  std::string first_failed() const;

 private:
  mutable std::mutex mu_;
  std::optional<Fault> fault_;
  std::uint64_t mutating_calls_ = 0;
  std::uint64_t any_calls_ = 0;
  std::uint64_t injected_ = 0;
  std::vector<std::string> log_;
  std::string first_failed_;
};

// Runs `call` as the plan decides for one announced operation: not at all
// (the fault is returned), or for real with its result replaced by the
// fault, or untouched. `call` returns a Result or Status.
template <typename Call>
auto inject(FaultPlan& plan, std::string_view operation, bool mutating, Call&& call)
    -> decltype(call()) {
  FaultDecision decision = plan.on_call(operation, mutating);
  if (decision.before) return std::unexpected(std::move(*decision.before));
  auto result = call();
  if (decision.after) return std::unexpected(std::move(*decision.after));
  return result;
}

}  // namespace berth::storage::faulty
