#include "fsck/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace berth::fsck {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTerminalInterval = std::chrono::milliseconds(100);
constexpr auto kPlainInterval = std::chrono::seconds(10);

std::string percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, " (%.0f%%)",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  }
  return buf;
}

ProgressDisplay::ProgressDisplay(std::FILE* out, ProgressMode mode)
    : out_(out), mode_(mode), started_(Clock::now()), phase_started_(started_) {
  if (mode_ == ProgressMode::kAuto) {
    mode_ = ::isatty(::fileno(out_)) ? ProgressMode::kTerminal : ProgressMode::kPlain;
  }
}

ProgressDisplay::~ProgressDisplay() { finish(); }

std::string ProgressDisplay::status_line(std::string_view phase, const CheckStats& s) const {
  std::string line = "fsck: ";
  if (phase == "counting") {
    line += "counting blobs: " + std::to_string(s.blobs_total) + ", " +
            format_bytes(s.blob_bytes_total);
  } else if (phase == "blobs") {
    line += "blobs " + std::to_string(s.blobs);
    if (s.blobs_total) line += "/" + std::to_string(s.blobs_total);
    line += ", " + format_bytes(s.bytes_hashed) + " hashed";
    if (s.blob_bytes_total) {
      line +=
          " of " + format_bytes(s.blob_bytes_total) + percent(s.bytes_hashed, s.blob_bytes_total);
    }
    auto secs = std::chrono::duration<double>(Clock::now() - phase_started_).count();
    if (secs > 0.5) {
      auto rate = static_cast<std::uint64_t>(
          static_cast<double>(s.bytes_hashed - hashed_at_phase_start_) / secs);
      line += ", " + format_bytes(rate) + "/s";
    }
  } else if (phase == "manifests") {
    line += "repositories " + std::to_string(s.repositories_checked) + "/" +
            std::to_string(s.repositories) + ", manifests " + std::to_string(s.manifests) +
            ", tags " + std::to_string(s.tags);
  } else if (phase == "links") {
    line += "checking blob links";
  } else if (phase == "uploads") {
    line += "checking uploads";
  } else if (phase == "done") {
    auto secs = std::chrono::duration<double>(Clock::now() - started_).count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "done in %.1f s: ", secs);
    line += buf;
    line += std::to_string(s.blobs) + " blobs (" + format_bytes(s.bytes_hashed) + " hashed), " +
            std::to_string(s.repositories) + " repositories, " + std::to_string(s.manifests) +
            " manifests, " + std::to_string(s.tags) + " tags, " + std::to_string(s.uploads) +
            " uploads";
  } else {
    line += phase;
  }
  return line;
}

void ProgressDisplay::clear_line() {
  if (line_shown_) {
    std::fputs("\r\033[K", out_);
    line_shown_ = false;
  }
}

void ProgressDisplay::update(std::string_view phase, const CheckStats& stats) {
  if (mode_ == ProgressMode::kNone) return;
  const auto now = Clock::now();
  const bool new_phase = phase != phase_;
  if (new_phase) {
    phase_ = std::string(phase);
    phase_started_ = now;
    hashed_at_phase_start_ = stats.bytes_hashed;
  }
  if (mode_ == ProgressMode::kTerminal) {
    if (!new_phase && phase != "done" && now - last_draw_ < kTerminalInterval) return;
    last_draw_ = now;
    clear_line();
    std::fputs(status_line(phase, stats).c_str(), out_);
    line_shown_ = true;
    if (phase == "done") {
      std::fputc('\n', out_);
      line_shown_ = false;
    }
    std::fflush(out_);
    return;
  }
  if (!new_phase && now - last_draw_ < kPlainInterval) return;
  last_draw_ = now;
  std::fprintf(out_, "%s\n", status_line(phase, stats).c_str());
  std::fflush(out_);
}

void ProgressDisplay::note(std::string_view message) {
  if (mode_ == ProgressMode::kNone) return;
  clear_line();
  std::fprintf(out_, "fsck: %.*s\n", static_cast<int>(message.size()), message.data());
  std::fflush(out_);
}

void ProgressDisplay::finish() {
  if (mode_ == ProgressMode::kTerminal && line_shown_) {
    std::fputc('\n', out_);
    line_shown_ = false;
    std::fflush(out_);
  }
}

}  // namespace berth::fsck
