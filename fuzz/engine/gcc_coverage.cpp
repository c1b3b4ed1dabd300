// Feeds coverage from g++'s -fsanitize-coverage=trace-pc into libFuzzer.
//
// Why this exists: berth needs std::expected (libstdc++ 12's <expected>),
// which clang 14 cannot compile (it lacks P0848, conditionally trivial
// special members, so expected<T, Error>'s destructor is deleted), so the
// fuzz targets are built with g++ like the rest of berth. g++ has no
// -fsanitize=fuzzer, but it does emit the two SanitizerCoverage callbacks
// libFuzzer needs: __sanitizer_cov_trace_pc at every basic block and the
// __sanitizer_cov_trace_cmp* family for comparisons. libFuzzer 14 (Debian's
// libclang-rt-14-dev) implements the cmp hooks but aborts in its own
// trace_pc ("no longer supported"). fuzz/CMakeLists.txt therefore links a
// copy of the libFuzzer archive in which that one symbol is weak, and this
// file supplies the strong definition: each block hashes its address with
// the previous block's into a 64 Ki table of 8-bit counters (AFL's edge
// scheme), registered with libFuzzer exactly as clang's
// -fsanitize-coverage=inline-8bit-counters would register its own.
//
// Not built with coverage or sanitizer instrumentation itself (it would
// recurse). Single-threaded targets only: the edge state is not atomic.
#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(std::uint8_t *start, std::uint8_t *stop);

namespace {

constexpr std::size_t kCounterCount = std::size_t{1} << 16;
alignas(4096) std::uint8_t counters[kCounterCount];
std::uintptr_t previous_block = 0;

__attribute__((constructor)) void register_counters() {
  __sanitizer_cov_8bit_counters_init(counters, counters + kCounterCount);
}

}  // namespace

extern "C" __attribute__((no_sanitize("address", "undefined"))) void __sanitizer_cov_trace_pc() {
  auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  // Fibonacci hashing spreads nearby block addresses over the table.
  std::uintptr_t block = (pc * 0x9E3779B97F4A7C15ull) >> 48;
  counters[(block ^ previous_block) & (kCounterCount - 1)]++;
  previous_block = block >> 1;  // so that A->B and B->A differ
}

// g++ emits these for floating-point comparisons; libFuzzer has no hooks
// for them, so they are ignored.
extern "C" void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" void __sanitizer_cov_trace_cmpd(double, double) {}
