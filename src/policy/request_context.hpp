// RequestContext: the facts of one request a policy is evaluated against,
// named after IAM's request context. Views only: the caller keeps the
// strings alive for the evaluation, which makes building one free.
//
// The condition keys berth fills (case-insensitive, as in IAM):
//   aws:PrincipalAccount, aws:PrincipalArn, aws:username (users only),
//   aws:SourceIp (when known), aws:SecureTransport, aws:CurrentTime
//   (and aws:EpochTime), aws:ResourceTag/<key>, aws:RequestTag/<key>,
//   aws:TagKeys (the request's tag keys; multi-valued).
// Any other key is unknown: its clauses never hold.
//
// Thread-safety: a plain value of views.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::policy {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct RequestContext {
  std::string_view principal_arn;      // arn:aws:iam::<account>:root|user/<n>|role/<n>
  std::string_view principal_account;  // 12 digits
  std::string_view username;           // "" unless the principal is a user
  std::string_view action;             // "ecr:BatchGetImage"
  std::string_view resource;           // an ARN, or "*" for account-wide actions
  std::string_view source_ip;          // "" when unknown
  bool secure_transport = false;
  std::int64_t current_time_ms = 0;
  const Tags* resource_tags = nullptr;  // the repository's tags
  const Tags* request_tags = nullptr;   // tags the request sets (CreateRepository, TagResource)
  // Tag keys the request names (TagResource, UntagResource); defaults to
  // request_tags' keys when null.
  const std::vector<std::string>* tag_keys = nullptr;
};

}  // namespace berth::policy
