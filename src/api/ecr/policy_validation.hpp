// Validation of the IAM policy documents ECR stores: repository and
// registry policies. berth stores and reports them; it does not yet enforce
// them. (Lifecycle policies: lifecycle/policy.hpp.)
//
// Returns "" when the document is acceptable, else the reason, worded for
// an InvalidParameterException message.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace berth::api::ecr {

std::string iam_policy_problem(std::string_view text);

}  // namespace berth::api::ecr
