#include "app/local_secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "crypto/hasher.hpp"
#include "util/hex.hpp"

namespace berth::app {

namespace {

namespace fs = std::filesystem;

std::unexpected<Error> io_error(const fs::path& path, std::string_view what, int err) {
  return fail(ErrorCode::kUnavailable,
              std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

Result<std::optional<std::string>> read_if_present(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return io_error(path, "cannot read", errno);
  }
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error(path, "cannot read", err);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > (1 << 20)) {
      ::close(fd);
      return fail(ErrorCode::kCorruption, path.string() + " is implausibly large");
    }
  }
  ::close(fd);
  return std::optional<std::string>(std::move(text));
}

// Writes `content` to `path` only if it does not exist yet: a private
// temporary file (0600) is filled, synced, then hard-linked into place,
// which fails with EEXIST if another process won the race. Returns the
// content that ends up in the file (ours, or the winner's).
Result<std::string> create_exclusively(const fs::path& path, const std::string& content) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(temp, "cannot create", errno);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return io_error(temp, "cannot write", err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return io_error(temp, "cannot sync", err);
  }
  int linked = ::link(temp.c_str(), path.c_str());
  int err = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && err != EEXIST) return io_error(path, "cannot create", err);
  if (linked != 0) {
    auto existing = BERTH_TRY(read_if_present(path));
    if (!existing) return io_error(path, "cannot read", ENOENT);
    return *existing;
  }
  return content;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<std::string> load_or_create_token_secret(const fs::path& data_dir) {
  const fs::path path = data_dir / kTokenSecretFile;
  auto existing = BERTH_TRY(read_if_present(path));
  std::string text = existing ? trim(*existing)
                              : trim(BERTH_TRY(create_exclusively(
                                    path, to_hex(crypto::random_bytes(32)) + "\n")));
  if (text.size() < 16) {
    return fail(ErrorCode::kCorruption, path.string() + " holds fewer than 16 bytes");
  }
  return text;
}

Result<auth::Credential> load_or_create_local_credentials(const fs::path& data_dir,
                                                          const std::string& account_id) {
  const fs::path path = data_dir / kLocalCredentialsFile;
  auto existing = BERTH_TRY(read_if_present(path));
  std::string text;
  if (existing) {
    text = std::move(*existing);
  } else {
    auth::Credential fresh = auth::generate_local_credentials(account_id);
    text = BERTH_TRY(create_exclusively(
        path, "# berth local credentials (ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]),\n"
              "# generated once; `berth credentials` prints them as aws configure lines.\n" +
                  fresh.access_key_id + " " + fresh.secret_access_key + "\n"));
  }
  // The same parser --credentials uses, so the file stays in that format.
  auto store = BERTH_TRY(auth::CredentialStore::parse(text, account_id, path.string()));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key;
    if (!(fields >> key) || key.starts_with("#")) continue;
    return store.lookup(key);
  }
  return fail(ErrorCode::kCorruption, path.string() + " holds no credential");
}

}  // namespace berth::app
