// Signing in to the console: an access key id and its secret, checked
// against the same CredentialStore the ECR API verifies signatures with, so
// a key reaches in the console exactly the account it reaches through ECR.
//
//   - sigv4 mode: the key must be known, hold no session token (temporary
//     credentials only make sense with a signature) and not be expired, and
//     the secret must match (constant time). In development mode
//     (--allow-any-access-key) an unknown key is let in as the default
//     account, as the ECR API lets its requests in.
//   - none mode (--auth none): the APIs are open, so is the console; any
//     key signs in as the default account.
//
// Every refusal carries the same message, so it never tells which of the two
// values was wrong.
//
// Thread-safety: pure function over a thread-safe store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/credentials.hpp"
#include "auth/identity.hpp"
#include "util/result.hpp"

namespace berth::api::console {

inline constexpr std::string_view kSignInRefused =
    "The access key ID and secret access key do not match any key this registry accepts.";

struct SignInPolicy {
  bool check_secrets = true;  // false under --auth none
  std::shared_ptr<const auth::CredentialStore> credentials;  // REQUIRES: set when check_secrets
  std::string default_account_id;
};

// Who the key acts as (its account, principal and identity policy, as the
// ECR API decides its requests for); kUnauthenticated (kSignInRefused)
// otherwise.
Result<auth::Identity> check_sign_in(const SignInPolicy& policy, std::string_view access_key_id,
                                  std::string_view secret, std::int64_t now_ms);

// Who a key that signed in as `signed_in` is now, for a session's later
// requests: the same account and principal with the key's current identity
// policy, or kUnauthenticated when the key is gone, expired, or now names
// another account or principal (SessionStore's IdentityCheck).
Result<auth::Identity> recheck_sign_in(const SignInPolicy& policy,
                                       const auth::Identity& signed_in, std::int64_t now_ms);

}  // namespace berth::api::console
