// ProgressDisplay: how `berth fsck` shows its progress on stderr. On a
// terminal it redraws one status line in place (counts, bytes hashed, rate,
// percentage when the totals are known), at most ten times a second; on
// anything else (a pipe, a log file, CI) it prints a plain line when a phase
// starts and at most every ten seconds within one, so logs stay readable.
//
// Thread-safety: one thread at a time (the checker calls it from its own).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "fsck/findings.hpp"

namespace berth::fsck {

enum class ProgressMode {
  kAuto,      // kTerminal when the stream is a terminal, else kPlain
  kTerminal,  // one line redrawn in place
  kPlain,     // plain lines
  kNone,      // silent
};

// "1.5 GiB", "12 KiB", "17 B".
std::string format_bytes(std::uint64_t bytes);

class ProgressDisplay {
 public:
  ProgressDisplay(std::FILE* out, ProgressMode mode);
  ~ProgressDisplay();

  // A store-check progress callback: the phase and the counters so far.
  void update(std::string_view phase, const CheckStats& stats);
  // A one-off message ("repairing", "re-checking"), on its own line.
  void note(std::string_view message);
  // Ends the in-place line, if one is shown.
  void finish();

 private:
  std::string status_line(std::string_view phase, const CheckStats& stats) const;
  void clear_line();

  std::FILE* out_;
  ProgressMode mode_;
  std::string phase_;
  bool line_shown_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point phase_started_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::uint64_t hashed_at_phase_start_ = 0;
};

}  // namespace berth::fsck
