#include "util/ids.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

namespace berth {

namespace {

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

// SplitMix64's output function: a bijection on 64-bit values, so a
// thread's successive counter values can never yield the same id twice.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t thread_seed() {
  // random_device alone may be deterministic on some platforms; the
  // process-wide counter and thread id still separate threads then.
  static std::atomic<std::uint64_t> threads_seeded{0};
  std::random_device rd;
  std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  seed ^= mix(threads_seeded.fetch_add(1, std::memory_order_relaxed) + 1);
  seed ^= mix(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  return seed;
}

}  // namespace

std::string new_request_id() {
  thread_local std::uint64_t state = thread_seed();
  state += kGoldenGamma;
  std::uint64_t v = mix(state);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[v & 0x0f];
    v >>= 4;
  }
  return out;
}

}  // namespace berth
