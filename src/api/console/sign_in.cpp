#include "api/console/sign_in.hpp"

#include "crypto/hasher.hpp"

namespace berth::api::console {

namespace {
std::unexpected<Error> refused() {
  return fail(ErrorCode::kUnauthenticated, std::string(kSignInRefused));
}
}  // namespace

Result<auth::Identity> check_sign_in(const SignInPolicy& policy, std::string_view access_key_id,
                                  std::string_view secret, std::int64_t now_ms) {
  if (access_key_id.empty() || secret.empty()) return refused();
  // Open or development mode: the default account's root, as the ECR API
  // treats such callers.
  if (!policy.check_secrets) return auth::Identity{std::string(access_key_id), policy.default_account_id};
  if (!policy.credentials) return refused();
  Result<auth::Credential> credential = policy.credentials->lookup(access_key_id);
  if (!credential) {
    if (policy.credentials->development_mode()) {
      return auth::Identity{std::string(access_key_id), policy.credentials->default_account_id()};
    }
    return refused();
  }
  // Compare before looking at anything else, so every refusal costs the same.
  const bool secret_ok = crypto::constant_time_equal(secret, credential->secret_access_key);
  if (!secret_ok || credential->session_token) return refused();
  if (credential->expires_at_ms && now_ms >= *credential->expires_at_ms) return refused();
  return auth::Identity{credential->access_key_id, credential->account_id, credential->principal,
                        credential->identity_policy};
}

Result<auth::Identity> recheck_sign_in(const SignInPolicy& policy,
                                       const auth::Identity& signed_in, std::int64_t now_ms) {
  if (!policy.check_secrets) return auth::Identity{signed_in.access_key_id, policy.default_account_id};
  if (!policy.credentials) return refused();
  Result<auth::Credential> credential = policy.credentials->lookup(signed_in.access_key_id);
  if (!credential) {
    if (policy.credentials->development_mode() &&
        signed_in.account_id == policy.credentials->default_account_id()) {
      return auth::Identity{signed_in.access_key_id, signed_in.account_id};
    }
    return refused();
  }
  if (credential->session_token) return refused();
  if (credential->expires_at_ms && now_ms >= *credential->expires_at_ms) return refused();
  if (credential->account_id != signed_in.account_id ||
      credential->principal != signed_in.principal) {
    return refused();
  }
  return auth::Identity{credential->access_key_id, credential->account_id, credential->principal,
                        credential->identity_policy};
}

}  // namespace berth::api::console
