#include "storage/blob/fs/posix_file.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace berth::storage::blob::fs {

std::unexpected<Error> from_errno(std::string_view context, int err, ErrorCode not_found) {
  std::string message(context);
  message.append(": ").append(std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return fail(not_found, std::move(message));
    case ENOSPC:
      return fail(ErrorCode::kUnavailable, "no space left on device", std::move(message));
    default:
      return fail(ErrorCode::kInternal, std::move(message));
  }
}

namespace {

std::string describe(std::string_view op, const std::filesystem::path& path) {
  std::string out(op);
  out.append(" ").append(path.native());
  return out;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset() {
  // close(2) must not be retried on EINTR on Linux: the fd is already gone.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, mode_t mode,
                           ErrorCode not_found) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    return from_errno(describe("open", path), err, not_found);
  }
  return UniqueFd(fd);
}

Result<std::size_t> write_some(int fd, std::span<const char> bytes) {
  for (;;) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    // write(2) returning 0 for a non-empty buffer would loop forever.
    return from_errno("write", n < 0 ? errno : EIO, ErrorCode::kInternal);
  }
}

Status write_all(int fd, std::span<const char> bytes) {
  while (!bytes.empty()) {
    std::size_t n = BERTH_TRY(write_some(fd, bytes));
    bytes = bytes.subspan(n);
  }
  return ok();
}

Result<std::size_t> pread_some(int fd, std::span<char> out, std::uint64_t offset) {
  for (;;) {
    ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return from_errno("pread", errno, ErrorCode::kInternal);
  }
}

Result<std::uint64_t> file_size(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return from_errno("fstat", errno, ErrorCode::kInternal);
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::uint64_t> file_size(const std::filesystem::path& path, ErrorCode not_found) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    return from_errno(describe("stat", path), err, not_found);
  }
  // A directory where a file belongs is not the file the caller asked for.
  if (!S_ISREG(st.st_mode)) return fail(not_found, describe("not a regular file", path));
  return static_cast<std::uint64_t>(st.st_size);
}

Result<FileStat> stat_file(const std::filesystem::path& path, ErrorCode not_found) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    return from_errno(describe("stat", path), err, not_found);
  }
  if (!S_ISREG(st.st_mode)) return fail(not_found, describe("not a regular file", path));
  return FileStat{static_cast<std::uint64_t>(st.st_size),
                  static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 +
                      st.st_mtim.tv_nsec / 1'000'000};
}

Result<std::int64_t> modified_at_ns(const std::filesystem::path& path, ErrorCode not_found) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    return from_errno(describe("stat", path), err, not_found);
  }
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

Status touch_file(const std::filesystem::path& path) {
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0) {
    int err = errno;
    return from_errno(describe("utimensat", path), err, ErrorCode::kInternal);
  }
  return ok();
}

Status truncate_file(int fd, std::uint64_t size) {
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return from_errno("ftruncate", errno, ErrorCode::kInternal);
  }
  return ok();
}

Status seek_to(int fd, std::uint64_t offset) {
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return from_errno("lseek", errno, ErrorCode::kInternal);
  }
  return ok();
}

Status sync_file(int fd, bool data_only) {
  int rc;
  do {
    rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return from_errno(data_only ? "fdatasync" : "fsync", errno, ErrorCode::kInternal);
  return ok();
}

Status sync_dir(const std::filesystem::path& dir) {
  UniqueFd fd = BERTH_TRY(open_file(dir, O_RDONLY | O_DIRECTORY, 0, ErrorCode::kInternal));
  return sync_file(fd.get(), /*data_only=*/false);
}

Status make_dir(const std::filesystem::path& dir, ErrorCode not_found) {
  if (::mkdir(dir.c_str(), 0755) == 0) return ok();
  int err = errno;
  if (err == EEXIST) return fail(ErrorCode::kAlreadyExists, describe("exists", dir));
  return from_errno(describe("mkdir", dir), err, not_found);
}

Status make_dirs(const std::filesystem::path& dir, bool sync) {
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (sync) BERTH_TRY_STATUS(sync_dir(dir.parent_path()));
    return ok();
  }
  int err = errno;
  if (err == EEXIST) {
    // Another writer may have created it concurrently; only a non-directory
    // squatting on the name is an error.
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return ok();
    return fail(ErrorCode::kInternal, describe("not a directory", dir));
  }
  if (err != ENOENT || !dir.has_relative_path() || dir.parent_path() == dir) {
    return from_errno(describe("mkdir", dir), err, ErrorCode::kInternal);
  }
  BERTH_TRY_STATUS(make_dirs(dir.parent_path(), sync));
  return make_dirs(dir, sync);
}

Status write_file_atomic(const std::filesystem::path& target, const std::filesystem::path& temp,
                         std::string_view bytes, bool sync, ErrorCode not_found) {
  {
    UniqueFd fd =
        BERTH_TRY(open_file(temp, O_WRONLY | O_CREAT | O_TRUNC, 0644, not_found));
    BERTH_TRY_STATUS(write_all(fd.get(), bytes));
    if (sync) BERTH_TRY_STATUS(sync_file(fd.get(), /*data_only=*/true));
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    return from_errno(describe("rename", temp), err, not_found);
  }
  if (sync) BERTH_TRY_STATUS(sync_dir(target.parent_path()));
  return ok();
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_size,
                                    ErrorCode not_found) {
  UniqueFd fd = BERTH_TRY(open_file(path, O_RDONLY, 0, not_found));
  std::string out;
  char buf[4096];
  std::uint64_t offset = 0;
  for (;;) {
    std::size_t n = BERTH_TRY(pread_some(fd.get(), buf, offset));
    if (n == 0) return out;
    if (out.size() + n > max_size) {
      return fail(ErrorCode::kCorruption, describe("file is larger than expected", path));
    }
    out.append(buf, n);
    offset += n;
  }
}

Result<bool> rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                               ErrorCode not_found) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  int err = errno;
  if (err == EEXIST) return false;
  if (err != EINVAL && err != ENOSYS) return from_errno(describe("rename", from), err, not_found);
  // The filesystem lacks RENAME_NOREPLACE. Callers only move content-addressed
  // files, so replacing an identical file that appeared after the check is
  // harmless: readers holding the old inode keep reading it whole.
  struct stat st;
  if (::stat(to.c_str(), &st) == 0) return false;
  if (::rename(from.c_str(), to.c_str()) != 0) {
    err = errno;
    return from_errno(describe("rename", from), err, not_found);
  }
  return true;
}

Result<std::vector<std::string>> list_dir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    // Walks treat a file squatting where a directory belongs as empty.
    if (ec.value() == ENOENT || ec.value() == ENOTDIR) return names;
    return from_errno(describe("opendir", dir), ec.value(), ErrorCode::kInternal);
  }
  // A failed increment leaves the iterator at end, so the loop exits and
  // the error is reported below.
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().native());
  }
  if (ec) return from_errno(describe("readdir", dir), ec.value(), ErrorCode::kInternal);
  return names;
}

Status unlink_file(const std::filesystem::path& path, ErrorCode not_found) {
  if (::unlink(path.c_str()) != 0) {
    int err = errno;
    return from_errno(describe("unlink", path), err, not_found);
  }
  return ok();
}

Status remove_tree(const std::filesystem::path& path, ErrorCode not_found) {
  std::error_code ec;
  std::uintmax_t removed = std::filesystem::remove_all(path, ec);
  if (ec) return from_errno(describe("remove", path), ec.value(), not_found);
  if (removed == 0) return fail(not_found, describe("absent", path));
  return ok();
}

}  // namespace berth::storage::blob::fs
