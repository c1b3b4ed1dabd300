#include "util/test_clock.hpp"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <string>

namespace berth {

namespace {

// Set once by install_test_clock and never freed (one per process).
std::atomic<const std::string*> g_file{nullptr};
std::atomic<std::int64_t> g_last{0};  // 0: nothing read yet

// The file's trimmed content; nullopt when missing.
std::optional<std::string> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  char buf[64];
  const std::size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  std::string text(buf, n);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

Status install_test_clock(const std::filesystem::path& file) {
  if (file.empty()) return fail(ErrorCode::kInvalidArgument, "the test clock needs a file");
  g_file.store(new std::string(file.string()), std::memory_order_release);
  return ok();
}

std::optional<std::int64_t> test_clock_now_ms() {
  const std::string* path = g_file.load(std::memory_order_acquire);
  if (path == nullptr) return std::nullopt;
  auto text = read_file(*path);
  if (!text || text->empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec == std::errc() && end == text->data() + text->size() && value > 0) {
    g_last.store(value, std::memory_order_relaxed);
    return value;
  }
  const std::int64_t last = g_last.load(std::memory_order_relaxed);
  return last > 0 ? std::optional<std::int64_t>(last) : std::nullopt;
}

}  // namespace berth
