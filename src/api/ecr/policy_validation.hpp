// Validation of the IAM policy documents ECR stores: repository and
// registry policies, as moto words the refusals; policy::parse_document
// then checks what the enforcement point needs. (Lifecycle policies: lifecycle/policy.hpp.)
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
