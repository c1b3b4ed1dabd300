// Validation of the policy documents ECR stores: repository and registry
// policies (IAM policy JSON) and lifecycle policies (ECR's rule grammar).
// berth stores and reports them; it does not yet enforce or execute them.
//
// Each returns "" when the document is acceptable, else the reason, worded
// for an InvalidParameterException message.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace berth::api::ecr {

std::string iam_policy_problem(std::string_view text);
std::string lifecycle_policy_problem(std::string_view text);

}  // namespace berth::api::ecr
