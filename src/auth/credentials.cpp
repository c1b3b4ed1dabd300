#include "auth/credentials.hpp"

#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "auth/failure_kinds.hpp"
#include "auth/identity.hpp"
#include "crypto/hasher.hpp"
#include "util/base64.hpp"

namespace berth::auth {

namespace {

constexpr std::size_t kMaxKeyIdLength = 128;
constexpr std::size_t kMaxSecretLength = 1024;

// AWS access key ids are [\w]+; we also allow '-' and '.', which some
// S3-compatible stores use. Never '/', which would break the scope.
bool is_access_key_id(std::string_view s) {
  if (s.empty() || s.size() > kMaxKeyIdLength) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool is_secret(std::string_view s) {
  if (s.empty() || s.size() > kMaxSecretLength) return false;
  for (char c : s) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos == line.size()) break;
    std::size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return fields;
}

// The identity policy file of a credentials line, parsed once at load.
Result<std::shared_ptr<const policy::Document>> load_identity_policy(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kInvalidArgument, "cannot read identity policy " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto document = policy::parse_document(text.str());
  if (!document) {
    return fail(ErrorCode::kInvalidArgument,
                "identity policy " + path.string() + ": " + document.error().message);
  }
  return std::make_shared<const policy::Document>(std::move(*document));
}

}  // namespace

bool is_account_id(std::string_view text) {
  if (text.size() != 12) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

CredentialStore::CredentialStore(CredentialStore&& other) noexcept {
  std::unique_lock lock(other.mu_);
  by_key_ = std::move(other.by_key_);
  order_ = std::move(other.order_);
  default_account_id_ = std::move(other.default_account_id_);
  development_mode_ = other.development_mode_;
}

CredentialStore& CredentialStore::operator=(CredentialStore&& other) noexcept {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  by_key_ = std::move(other.by_key_);
  order_ = std::move(other.order_);
  default_account_id_ = std::move(other.default_account_id_);
  development_mode_ = other.development_mode_;
  return *this;
}

Result<CredentialStore> CredentialStore::load_file(const std::filesystem::path& path,
                                                   std::string default_account_id) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kUnavailable, "cannot read credentials file " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorCode::kUnavailable, "error reading credentials file " + path.string());
  }
  return parse(text.str(), std::move(default_account_id), path.string(), path.parent_path());
}

Result<CredentialStore> CredentialStore::parse(std::string_view text,
                                               std::string default_account_id,
                                               std::string_view source,
                                               const std::filesystem::path& base_dir) {
  if (!is_account_id(default_account_id)) {
    return fail(ErrorCode::kInvalidArgument, "default account id must be 12 digits");
  }
  CredentialStore store;
  store.default_account_id_ = default_account_id;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto fields = split_fields(line);
    if (fields.empty() || fields[0].starts_with('#')) continue;
    auto where = std::string(source) + " line " + std::to_string(line_number) + ": ";
    if (fields.size() < 2 || fields.size() > 5) {
      return fail(ErrorCode::kInvalidArgument,
                  where + "expected ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID [PRINCIPAL "
                          "[IDENTITY_POLICY_FILE]]]");
    }
    if (!is_access_key_id(fields[0])) {
      return fail(ErrorCode::kInvalidArgument,
                  where + "access key id must be 1-128 of [A-Za-z0-9_.-]");
    }
    if (!is_secret(fields[1])) {
      return fail(ErrorCode::kInvalidArgument, where + "secret access key is malformed");
    }
    if (fields.size() >= 3 && !is_account_id(fields[2])) {
      return fail(ErrorCode::kInvalidArgument, where + "account id must be 12 digits");
    }
    if (fields.size() >= 4 && !is_principal(fields[3])) {
      return fail(ErrorCode::kInvalidArgument,
                  where + "principal must be root, user/<name> or role/<name>");
    }
    if (store.by_key_.contains(fields[0])) {
      return fail(ErrorCode::kInvalidArgument, where + "access key id is listed twice");
    }
    Credential credential;
    credential.access_key_id = fields[0];
    credential.secret_access_key = fields[1];
    credential.account_id = fields.size() >= 3 ? std::string(fields[2]) : default_account_id;
    if (fields.size() >= 4) credential.principal = std::string(fields[3]);
    if (fields.size() == 5) {
      auto policy = load_identity_policy(base_dir / std::filesystem::path(fields[4]));
      if (!policy) return fail(ErrorCode::kInvalidArgument, where + policy.error().message);
      credential.identity_policy = std::move(*policy);
    }
    store.order_.push_back(credential.access_key_id);
    store.by_key_.emplace(credential.access_key_id, std::move(credential));
  }
  return store;
}

Status CredentialStore::add(Credential credential) {
  if (!is_access_key_id(credential.access_key_id)) {
    return fail(ErrorCode::kInvalidArgument, "access key id must be 1-128 of [A-Za-z0-9_.-]");
  }
  if (!is_secret(credential.secret_access_key)) {
    return fail(ErrorCode::kInvalidArgument, "secret access key is malformed");
  }
  if (!is_account_id(credential.account_id)) {
    return fail(ErrorCode::kInvalidArgument, "account id must be 12 digits");
  }
  if (!is_principal(credential.principal)) {
    return fail(ErrorCode::kInvalidArgument, "principal must be root, user/<name> or role/<name>");
  }
  if (credential.session_token && credential.session_token->empty()) {
    return fail(ErrorCode::kInvalidArgument, "session token must not be empty");
  }
  std::unique_lock lock(mu_);
  if (!by_key_.contains(credential.access_key_id)) order_.push_back(credential.access_key_id);
  by_key_.insert_or_assign(credential.access_key_id, std::move(credential));
  return ok();
}

Result<Credential> CredentialStore::lookup(std::string_view access_key_id) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(access_key_id);
  if (it == by_key_.end()) {
    return fail(ErrorCode::kUnauthenticated,
                "The security token included in the request is invalid.",
                std::string(kUnrecognizedClient));
  }
  return it->second;
}

Status CredentialStore::accept_any_key(std::string default_account_id) {
  if (!is_account_id(default_account_id)) {
    return fail(ErrorCode::kInvalidArgument, "default account id must be 12 digits");
  }
  std::unique_lock lock(mu_);
  default_account_id_ = std::move(default_account_id);
  development_mode_ = true;
  return ok();
}

bool CredentialStore::development_mode() const {
  std::shared_lock lock(mu_);
  return development_mode_;
}

std::string CredentialStore::default_account_id() const {
  std::shared_lock lock(mu_);
  return default_account_id_;
}

std::size_t CredentialStore::size() const {
  std::shared_lock lock(mu_);
  return by_key_.size();
}

Credential generate_local_credentials(std::string account_id) {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string random = crypto::random_bytes(16);
  Credential credential;
  credential.access_key_id = "AKIA";
  for (char c : random) {
    credential.access_key_id.push_back(kBase32[static_cast<unsigned char>(c) % 32]);
  }
  // 30 random bytes are exactly 40 base64 characters, no padding.
  credential.secret_access_key = base64_encode(crypto::random_bytes(30));
  credential.account_id = std::move(account_id);
  return credential;
}

std::vector<Credential> CredentialStore::list() const {
  std::shared_lock lock(mu_);
  std::vector<Credential> out;
  out.reserve(order_.size());
  for (const std::string& key : order_) out.push_back(by_key_.at(key));
  return out;
}

}  // namespace berth::auth
