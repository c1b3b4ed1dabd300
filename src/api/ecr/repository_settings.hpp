// RepositorySettings: the ECR-owned settings of a repository (tag
// mutability and its exclusion filters, scanning, encryption, policies,
// resource tags), kept by the core as one opaque JSON object per repository
// (RepositoryRecord::settings_json). The core itself reads only the
// tag-mutability members (registry/manifest_facts.hpp), so their names here
// are shared with it.
//
// Also the Repository output shape (ARN, URI, createdAt, ...).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/ecr/operation.hpp"
#include "registry/types.hpp"

namespace berth::api::ecr {

struct RepositorySettings {
  std::string image_tag_mutability = "MUTABLE";
  boost::json::array tag_mutability_exclusion_filters;  // [{filterType, filter}]
  bool scan_on_push = false;
  std::string encryption_type = "AES256";
  std::string kms_key;  // "" unless KMS
  std::optional<std::string> repository_policy;
  std::optional<std::string> lifecycle_policy;
  std::int64_t lifecycle_policy_updated_ms = 0;
  // When the lifecycle runner last evaluated the policy (lifecycle/runner.hpp
  // writes it); 0 = never since it was put.
  std::int64_t lifecycle_policy_evaluated_ms = 0;
  std::vector<std::pair<std::string, std::string>> tags;  // resource tags, in order

  static RepositorySettings from_json(std::string_view settings_json);
  std::string to_json() const;
};

// "<account>:<region>" → (account, region).
std::pair<std::string, std::string> split_registry(std::string_view registry);

std::string repository_arn(std::string_view registry, std::string_view name);

// The ARN of the account's AWS-managed `aws/ecr` KMS key, which ECR reports
// for KMS encryption without a kmsKey: a key ARN, not the alias ARN. One key
// per account and region, so its id is derived from the two (a v4-shaped
// UUID from their SHA-256): every process and restart reports the same ARN.
std::string aws_managed_ecr_key_arn(std::string_view account, std::string_view region);
std::string repository_uri(const EcrSettings& settings, std::string_view registry,
                           std::string_view name);

// The Repository output shape for a stored repository.
boost::json::object repository_json(const EcrSettings& settings,
                                    const registry::RepositoryRecord& record,
                                    const RepositorySettings& repo_settings);

// Parses "arn:aws:ecr:<region>:<account>:repository/<name>"; InvalidParameterException
// for anything else.
std::expected<registry::RepositoryRef, EcrFailure> parse_repository_arn(std::string_view arn);

}  // namespace berth::api::ecr
