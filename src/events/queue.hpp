// DeliveryQueue: one endpoint's pending webhook bodies, oldest first,
// bounded, kept as one file each in a directory of their own so they
// survive a restart:
//
//   <data-dir>/events/<endpoint>/0000000000000042.json   the body, exactly
//
// A body is written to a temporary name and renamed, so a crash never
// leaves half a body; files are not fsynced (a power loss may lose the
// newest events, a process crash loses none). Names are sequence numbers;
// reopening continues after the largest.
//
// Thread-safety: safe for concurrent use (one producer, one consumer is
// the intended shape, any number works).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "util/result.hpp"

namespace berth::events {

class DeliveryQueue {
 public:
  struct Entry {
    std::uint64_t seq = 0;
    std::string body;
  };

  // Creates the directory if needed and loads what is pending in it.
  static Result<std::unique_ptr<DeliveryQueue>> open(std::filesystem::path dir, std::size_t limit);

  // kLimitExceeded when `limit` bodies are pending (the body is dropped);
  // kUnavailable when it cannot be written.
  Status push(const std::string& body);
  // The oldest pending body, if any (it stays queued until pop()).
  std::optional<Entry> front();
  // Removes `seq` (delivered, or given up on).
  Status pop(std::uint64_t seq);
  std::size_t size();

 private:
  DeliveryQueue(std::filesystem::path dir, std::size_t limit) : dir_(std::move(dir)), limit_(limit) {}
  std::filesystem::path path_of(std::uint64_t seq) const;

  const std::filesystem::path dir_;
  const std::size_t limit_;
  std::mutex mu_;
  std::deque<std::uint64_t> pending_;  // guarded by mu_, ascending
  std::uint64_t next_seq_ = 1;         // guarded by mu_
};

}  // namespace berth::events
