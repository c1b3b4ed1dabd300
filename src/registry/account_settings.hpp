// Account settings (ECR's PutAccountSetting / GetAccountSetting): a few
// named switches per registry ("<account>:<region>", as ECR keeps them per
// account and Region), stored in the registry's settings object under
// "accountSettings" so that every process sharing the metadata store reads
// the same value. Both front ends and AccessControl read them; only the
// ECR API writes them.
//
//   REGISTRY_POLICY_SCOPE    V1 | V2 (default V2, ECR's default for new
//                            registries): V1 applies the registry policy
//                            only to the registry-governed actions
//                            (CreateRepository, ReplicateImage,
//                            BatchImportUpstreamImage); V2 to every ECR
//                            request, beside the repository policy.
//   BLOB_MOUNTING            ENABLED | DISABLED (default ENABLED, unlike
//                            ECR: berth's /v2/ is a general OCI registry and
//                            OCI clients expect a cross-repository mount to
//                            work): DISABLED answers a /v2/ mount request by
//                            starting an ordinary upload, as ECR does.
//   BASIC_SCAN_TYPE_VERSION  AWS_NATIVE | CLAIR (default AWS_NATIVE): kept
//                            and reported so that tools setting it work;
//                            berth does not scan images (StartImageScan is
//                            unsupported), so it changes nothing.
//
// Thread-safety: pure functions over values.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace berth::registry {

inline constexpr std::string_view kAccountSettingsMember = "accountSettings";

inline constexpr std::string_view kRegistryPolicyScope = "REGISTRY_POLICY_SCOPE";
inline constexpr std::string_view kBlobMounting = "BLOB_MOUNTING";
inline constexpr std::string_view kBasicScanTypeVersion = "BASIC_SCAN_TYPE_VERSION";

struct AccountSettingSpec {
  std::string_view name;
  std::string_view default_value;
  std::span<const std::string_view> values;  // the accepted values
};

// The spec of setting `name`; nullopt for a name berth does not know.
std::optional<AccountSettingSpec> find_account_setting(std::string_view name);

// Whether `value` is one of the values setting `spec` accepts.
bool accepts_value(const AccountSettingSpec& spec, std::string_view value);

// Every setting berth knows, for messages ("valid names are ...").
std::span<const AccountSettingSpec> account_settings();

// The value of setting `name` in the registry settings JSON
// `registry_settings_json` (Registry::registry_settings), or its default
// when none was stored (or the stored text is not one of its values).
// REQUIRES: find_account_setting(name) has a value.
std::string account_setting(std::string_view registry_settings_json, std::string_view name);

// `registry_settings_json` with setting `name` set to `value`.
// kInvalidArgument when the JSON is not an object.
Result<std::string> with_account_setting(std::string_view registry_settings_json,
                                         std::string_view name, std::string_view value);

// Whether the registry policy applies to every ECR request (V2).
bool registry_policy_applies_everywhere(std::string_view registry_settings_json);

}  // namespace berth::registry
