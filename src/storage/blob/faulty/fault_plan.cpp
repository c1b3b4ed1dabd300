#include "storage/blob/faulty/fault_plan.hpp"

#include <memory>

namespace berth::storage::faulty {

namespace {
// Bounds the diagnostic log so a long run (a plan guarding fsck over a big
// store) does not grow without limit.
constexpr std::size_t kMaxLog = 4096;
}  // namespace

std::shared_ptr<FaultPlan> FaultPlan::read_only(std::string message) {
  auto plan = std::make_shared<FaultPlan>();
  plan->arm(Fault{.nth = 1,
                  .scope = FaultScope::kMutating,
                  .timing = FaultTiming::kBeforeCall,
                  .code = ErrorCode::kDenied,
                  .message = std::move(message),
                  .sticky = true});
  return plan;
}

void FaultPlan::arm(Fault fault) {
  std::lock_guard lock(mu_);
  fault_ = std::move(fault);
}

void FaultPlan::disarm() {
  std::lock_guard lock(mu_);
  fault_.reset();
}

void FaultPlan::reset() {
  std::lock_guard lock(mu_);
  mutating_calls_ = 0;
  any_calls_ = 0;
  injected_ = 0;
  log_.clear();
  first_failed_.clear();
}

FaultDecision FaultPlan::on_call(std::string_view operation, bool mutating) {
  std::lock_guard lock(mu_);
  ++any_calls_;
  if (mutating) ++mutating_calls_;
  FaultDecision decision;
  bool fails = false;
  if (fault_ && (mutating || fault_->scope == FaultScope::kAny)) {
    std::uint64_t index = fault_->scope == FaultScope::kAny ? any_calls_ : mutating_calls_;
    fails = index == fault_->nth || (fault_->sticky && index > fault_->nth);
  }
  if (log_.size() < kMaxLog) {
    std::string entry;
    if (fails) entry += '!';
    if (mutating) entry += '*';
    entry += operation;
    log_.push_back(std::move(entry));
  }
  if (!fails) return decision;
  ++injected_;
  if (first_failed_.empty()) first_failed_ = std::string(operation);
  Error error{fault_->code, fault_->message, std::string(operation)};
  if (fault_->timing == FaultTiming::kBeforeCall) {
    decision.before = std::move(error);
  } else {
    decision.after = std::move(error);
  }
  return decision;
}

std::uint64_t FaultPlan::calls(FaultScope scope) const {
  std::lock_guard lock(mu_);
  return scope == FaultScope::kAny ? any_calls_ : mutating_calls_;
}

std::uint64_t FaultPlan::faults_injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

std::vector<std::string> FaultPlan::log() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::string FaultPlan::first_failed() const {
  std::lock_guard lock(mu_);
  return first_failed_;
}

}  // namespace berth::storage::faulty
