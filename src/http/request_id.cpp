#include "http/request_id.hpp"

#include <cstdint>
#include <random>

namespace berth::http {
namespace {

// splitmix64: one multiply-xorshift chain per id, seeded once per thread so
// threads never share state or contend on a lock.
class IdGenerator {
 public:
  IdGenerator() {
    std::random_device rd;
    state_ = (std::uint64_t{rd()} << 32) ^ rd();
  }
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_ = 0;
};

}  // namespace

std::string new_request_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local IdGenerator generator;
  std::uint64_t v = generator.next();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
  return id;
}

}  // namespace berth::http
