// DeliveryQueue: one endpoint's pending webhook bodies, oldest first,
// bounded, kept as one file each in a directory of their own so they
// survive a restart:
//
//   <data-dir>/events/<endpoint>/0000000000000042.json   the body, exactly
//
// A body is written to a temporary name, fsynced, renamed, and the
// directory fsynced, before push() returns: a crash never leaves half a
// body, and an event whose push succeeded survives a power loss too (the
// change it reports was answered only after that). Concurrent pushes sync
// side by side, not one after another. A delivered event's removal is not
// synced: after a power loss it may be delivered again (delivery is at
// least once anyway). Names are sequence numbers; reopening continues
// after the largest.
//
// Thread-safety: safe for concurrent use (one producer, one consumer is
// the intended shape, any number works).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "util/result.hpp"

namespace berth::events {

// Makes a file's data, or a directory's entries, durable. The default is
// fsync_path; tests substitute one that watches or fails.
using SyncPath = std::function<Status(const std::filesystem::path&)>;

// fsync(2) of a file or directory, opened read-only by path.
Status fsync_path(const std::filesystem::path& path);

class DeliveryQueue {
 public:
  struct Entry {
    std::uint64_t seq = 0;
    std::string body;
  };

  // Creates the directory if needed (durably) and loads what is pending in
  // it.
  static Result<std::unique_ptr<DeliveryQueue>> open(std::filesystem::path dir, std::size_t limit,
                                                     SyncPath sync = fsync_path);

  // kLimitExceeded when `limit` bodies are pending or being written (the
  // body is dropped); kUnavailable when it cannot be written or made
  // durable (then nothing is queued).
  Status push(const std::string& body);
  // The oldest pending body, if any (it stays queued until pop()).
  std::optional<Entry> front();
  // Removes `seq` (delivered, or given up on).
  Status pop(std::uint64_t seq);
  std::size_t size();

 private:
  DeliveryQueue(std::filesystem::path dir, std::size_t limit, SyncPath sync)
      : dir_(std::move(dir)), limit_(limit), sync_(std::move(sync)) {}
  std::filesystem::path path_of(std::uint64_t seq) const;
  // Writes the body of `seq` under its final name, durably.
  Status write_durably(std::uint64_t seq, const std::string& body);

  const std::filesystem::path dir_;
  const std::size_t limit_;
  const SyncPath sync_;
  std::mutex mu_;
  std::deque<std::uint64_t> pending_;  // guarded by mu_, ascending
  std::size_t writing_ = 0;            // guarded by mu_: pushes between their seq and their file
  std::uint64_t next_seq_ = 1;         // guarded by mu_
};

}  // namespace berth::events
