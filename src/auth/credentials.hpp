// CredentialStore: the access keys berth accepts, each mapped to its secret
// and the 12-digit AWS account id it acts as. Loaded from a plain file
// (`ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]` per line) or filled with
// add(); session credentials (a key that must come with a matching
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
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

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

  // Reads `path`: one `ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]` per
  // line, fields separated by spaces or tabs; blank lines and lines whose
  // first non-blank character is '#' are ignored; a missing ACCOUNT_ID means
  // default_account_id. kInvalidArgument for a malformed line or duplicate
  // key (the message names the line number, never its contents) or a bad
  // default_account_id; kUnavailable when the file cannot be read.
  static Result<CredentialStore> load_file(const std::filesystem::path& path,
                                           std::string default_account_id);
  // load_file's parser over text already in memory; `source` names it in
  // error messages.
  static Result<CredentialStore> parse(std::string_view text, std::string default_account_id,
                                       std::string_view source = "credentials");

  // Inserts or replaces the credential for credential.access_key_id.
  // kInvalidArgument for an empty/ill-formed key id, an empty secret or an
  // account id that is not 12 digits.
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
