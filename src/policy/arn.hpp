// The ARNs policies speak of: IAM principals and ECR repositories.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace berth::policy {

// "arn:aws:iam::<account>:<principal>", principal being "root",
// "user/<name>" or "role/<name>".
std::string principal_arn(std::string_view account, std::string_view principal);

// "arn:aws:ecr:<region>:<account>:repository/<name>".
std::string repository_arn(std::string_view region, std::string_view account,
                           std::string_view name);

}  // namespace berth::policy
