// Thin POSIX file helpers for the filesystem blob store: an owning file
// descriptor, EINTR/partial-I/O loops, fsync of files and directories, and
// the store's single translation of errno into berth::Error (from_errno).
// Every system call the fs backend makes goes through here, so errno never
// leaks past this file.
//
// Thread-safety: free functions are safe from any thread; a UniqueFd is used
// by one thread at a time (the descriptor itself may be shared via pread).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace berth::storage::blob::fs {

// The one errno → Error mapping: ENOENT (and ENOTDIR, a missing ancestor)
// → `not_found`, ENOSPC → kUnavailable, anything else → kInternal.
// `context` names the operation and path for the message.
std::unexpected<Error> from_errno(std::string_view context, int err, ErrorCode not_found);

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset();

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added; ENOENT reported as `not_found`.
Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, mode_t mode,
                           ErrorCode not_found);

// One write(2), retried on EINTR; returns the bytes written (> 0).
Result<std::size_t> write_some(int fd, std::span<const char> bytes);
// Writes everything, looping over partial writes.
Status write_all(int fd, std::span<const char> bytes);
// One pread(2), retried on EINTR; 0 means end of file.
Result<std::size_t> pread_some(int fd, std::span<char> out, std::uint64_t offset);

// Size of an open file (fstat) or of a path (stat, `not_found` if absent).
Result<std::uint64_t> file_size(int fd);
Result<std::uint64_t> file_size(const std::filesystem::path& path, ErrorCode not_found);
// Modification time of a path, in nanoseconds since the epoch.
Result<std::int64_t> modified_at_ns(const std::filesystem::path& path, ErrorCode not_found);

struct FileStat {
  std::uint64_t size = 0;
  std::int64_t modified_at_ms = 0;
};
// Size and modification time of a regular file (`not_found` if absent or
// not a regular file), from one stat(2).
Result<FileStat> stat_file(const std::filesystem::path& path, ErrorCode not_found);

// Sets a file's modification time to now (utimensat); kInternal on failure.
Status touch_file(const std::filesystem::path& path);

Status truncate_file(int fd, std::uint64_t size);
Status seek_to(int fd, std::uint64_t offset);

// fdatasync(2) when data_only, else fsync(2).
Status sync_file(int fd, bool data_only);
// fsync(2) of a directory, making the entries created in it durable.
Status sync_dir(const std::filesystem::path& dir);

// mkdir -p. When `sync`, fsyncs the parent of every directory it creates so
// the new entries survive a crash.
Status make_dirs(const std::filesystem::path& dir, bool sync);
// Creates exactly `dir`; kAlreadyExists if it exists, `not_found` if its
// parent is missing.
Status make_dir(const std::filesystem::path& dir, ErrorCode not_found);

// Replaces `target` with `bytes` atomically: write `temp`, optionally fsync
// it, rename over `target`, optionally fsync the directory.
Status write_file_atomic(const std::filesystem::path& target, const std::filesystem::path& temp,
                         std::string_view bytes, bool sync, ErrorCode not_found);
// Reads a whole file of at most `max_size` bytes (kCorruption if larger).
Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_size,
                                    ErrorCode not_found);

// Moves `from` to `to` unless `to` exists. Returns true when moved, false
// when `to` already existed (and `from` is left in place).
Result<bool> rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                               ErrorCode not_found);

// Names of the entries of `dir` (no "." or ".."); empty when `dir` is absent
// or not a directory.
Result<std::vector<std::string>> list_dir(const std::filesystem::path& dir);

Status unlink_file(const std::filesystem::path& path, ErrorCode not_found);
// rm -r; `not_found` when `path` does not exist.
Status remove_tree(const std::filesystem::path& path, ErrorCode not_found);

}  // namespace berth::storage::blob::fs
