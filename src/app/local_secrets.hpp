// The secrets a local berth keeps in its data directory, created on first
// use so a plain `berth serve` is authenticated out of the box and restarts
// keep every issued token valid:
//
//   <data-dir>/token-secret  64 hex characters (32 CSPRNG bytes): the HMAC
//                            secret behind registry passwords
//                            (GetAuthorizationToken) and blob download URLs.
//   <data-dir>/credentials   one `ACCESS_KEY_ID SECRET_ACCESS_KEY` line in
//                            the --credentials format, generated once when
//                            --auth sigv4 runs without --credentials; the
//                            account is --account-id (so changing the flag
//                            moves the key with it).
//
// Both files are created with mode 0600 through a temporary file and an
// atomic link, so two processes starting at once agree on one value and a
// crash never leaves a half-written secret.
//
// Thread-safety: free functions; they touch only the files named above.
#pragma once

#include <filesystem>
#include <string>

#include "auth/credentials.hpp"
#include "util/result.hpp"

namespace berth::app {

inline constexpr const char* kTokenSecretFile = "token-secret";
inline constexpr const char* kLocalCredentialsFile = "credentials";

// The token secret from <data_dir>/token-secret, created if absent.
// kUnavailable when the file cannot be read or written, kCorruption when it
// holds fewer than 16 bytes.
Result<std::string> load_or_create_token_secret(const std::filesystem::path& data_dir);

// The local credential from <data_dir>/credentials, generated if absent.
// Its account is `account_id`.
Result<auth::Credential> load_or_create_local_credentials(const std::filesystem::path& data_dir,
                                                          const std::string& account_id);

}  // namespace berth::app
