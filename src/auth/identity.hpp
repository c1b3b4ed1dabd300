// Identity: who a request is decided for. An access key belongs to one
// principal of one account: the account root, an IAM user or a role
// (credentials.hpp reads them from the credentials file), optionally with
// an identity policy of its own. Both front ends build one per request,
// the ECR API from the SigV4 key, /v2/ from the registry password (which
// carries the principal, ecr_token.hpp).
//
// Thread-safety: a plain value; the policy it points to is immutable.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "policy/document.hpp"

namespace berth::auth {

inline constexpr std::string_view kRootPrincipal = "root";

struct Identity {
  std::string access_key_id;
  std::string account_id;  // 12 digits
  std::string principal = std::string(kRootPrincipal);  // root | user/<name> | role/<name>
  // Null: none. A root then has every permission in its own account, a
  // user or role none of its own (only what resource policies grant).
  std::shared_ptr<const policy::Document> identity_policy;

  bool is_root() const { return principal == kRootPrincipal; }
  // arn:aws:iam::<account>:<principal>
  std::string arn() const;
  // The user name (aws:username); "" for roots and roles.
  std::string_view username() const;
};

// True for "root", "user/<name>" and "role/<name>" where name is one or
// more "/"-separated segments of IAM's [A-Za-z0-9+=,.@_-] (at most 64
// characters each, 512 in all).
bool is_principal(std::string_view text);

}  // namespace berth::auth
