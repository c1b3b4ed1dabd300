// CredentialStore: the access keys berth accepts, each mapped to its secret,
// the 12-digit AWS account id it acts as and the principal of that account
// it is (auth/identity.hpp). Loaded from a plain file, one key per line:
//
//   ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID [PRINCIPAL [IDENTITY_POLICY_FILE]]]
//
// PRINCIPAL is `root` (the default), `user/<name>` or `role/<name>`;
// IDENTITY_POLICY_FILE is a path, relative to the credentials file unless
// absolute, to an IAM policy JSON document, parsed at load. The format is
// fixed: scripts outside the repository write it. Keys may also be added
// with add(); session credentials (a key that must come with a matching
// X-Amz-Security-Token, optionally expiring) are added with add().
//
// DEVELOPMENT MODE (accept_any_key): the store then ACCEPTS EVERY ACCESS
// KEY IT DOES NOT KNOW, WITHOUT CHECKING THE SIGNATURE, as moto does, so any
// `aws configure` values work against a local berth. Requests must still be
// well-formed SigV4 (parsable, scoped to the right service, within the
// clock-skew window); keys that ARE in the store are still fully verified.
// The verifier marks such requests `development_mode = true`. This mode
// authenticates nobody; never enable it on a network others can reach.
//
// Errors never contain a secret: file errors name the line number only.
//
// Thread-safety: all const members may be called concurrently from any
// thread; add() and accept_any_key() take an exclusive lock and may run
// concurrently with readers. lookup() returns a copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "policy/document.hpp"
#include "util/result.hpp"

namespace berth::auth {

struct Credential {
  std::string access_key_id;
  std::string secret_access_key;
  std::string account_id;  // 12 digits
  // When set, requests must carry this X-Amz-Security-Token.
  std::optional<std::string> session_token;
  // When set, requests at or after this instant fail with "ExpiredToken".
  std::optional<std::int64_t> expires_at_ms;
  std::string principal = "root";  // root | user/<name> | role/<name>
  // The principal's identity policy; null: none.
  std::shared_ptr<const policy::Document> identity_policy;
};

// True for exactly 12 ASCII digits.
bool is_account_id(std::string_view text);

class CredentialStore {
 public:
  CredentialStore() = default;
  CredentialStore(CredentialStore&& other) noexcept;
  CredentialStore& operator=(CredentialStore&& other) noexcept;
  CredentialStore(const CredentialStore&) = delete;
  CredentialStore& operator=(const CredentialStore&) = delete;

  // Reads `path`: one `ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID
  // [PRINCIPAL [IDENTITY_POLICY_FILE]]]` per line, fields separated by
  // spaces or tabs; blank lines and lines whose first non-blank character
  // is '#' are ignored; a missing ACCOUNT_ID means default_account_id, a
  // missing PRINCIPAL root. kInvalidArgument for a malformed line, a
  // duplicate key, a bad principal or an identity policy file that cannot
  // be read or parsed (the message names the line number, never the
  // secret) or a bad default_account_id; kUnavailable when the file cannot
  // be read.
  static Result<CredentialStore> load_file(const std::filesystem::path& path,
                                           std::string default_account_id);
  // load_file's parser over text already in memory; `source` names it in
  // error messages; relative identity policy paths are read from `base_dir`.
  static Result<CredentialStore> parse(std::string_view text, std::string default_account_id,
                                       std::string_view source = "credentials",
                                       const std::filesystem::path& base_dir = {});

  // Inserts or replaces the credential for credential.access_key_id.
  // kInvalidArgument for an empty/ill-formed key id, an empty secret, an
  // account id that is not 12 digits or a malformed principal.
  Status add(Credential credential);

  // The credential for access_key_id. kUnauthenticated with detail
  // "UnrecognizedClient" when unknown (also in development mode: the
  // verifier, not the store, decides to let unknown keys through).
  Result<Credential> lookup(std::string_view access_key_id) const;

  // Turns development mode on (see the header comment). kInvalidArgument
  // when default_account_id is not 12 digits.
  Status accept_any_key(std::string default_account_id);
  bool development_mode() const;
  // Account id used for development-mode requests and keys without one.
  std::string default_account_id() const;
  std::size_t size() const;
  // Every credential, in the order the file listed them (then add() order).
  std::vector<Credential> list() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, Credential, std::less<>> by_key_;
  std::vector<std::string> order_;  // access key ids, first listed first
  std::string default_account_id_;
  bool development_mode_ = false;
};

// Fresh credentials for a local installation: an "AKIA" + 16 character
// uppercase base32 access key id (20 characters, the AWS shape) and a
// 40-character base64-alphabet secret, both from the CSPRNG. `make run`
// prints them as ready-to-paste `aws configure` values.
Credential generate_local_credentials(std::string account_id);

}  // namespace berth::auth
