// RateLimiter: per-identity token buckets, one per operation family, so a
// busy CI key pulling images does not starve its own pushes, and no key
// starves the others. Off unless configured (--rate-limit): ECR throttles
// per account and API; berth's buckets are per access key (the narrower,
// and what operators of shared registries ask for).
//
// A bucket holds up to `burst` tokens and refills at `per_second`; each
// request takes one. A refusal says when the next token comes (the
// Retry-After of /v2/'s 429; ECR answers ThrottlingException, which the
// SDKs retry with backoff).
//
// Buckets live in this process only: with N processes behind a balancer
// the effective limit is up to N times the configured one.
//
// Thread-safety: try_take may be called concurrently from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::access {

struct RateLimit {
  double per_second = 0;  // 0: no limit
  double burst = 0;       // bucket size; at least 1 when limited
};

// "pull", "push", "delete" or "other" for an action "ecr:<Operation>".
std::string_view operation_family(std::string_view action);

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit);

  bool enabled() const { return limit_.per_second > 0; }

  // nullopt when a token was taken; else the seconds until one is free.
  std::optional<double> try_take(std::string_view who, std::string_view family,
                                 std::int64_t now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  RateLimit limit_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  // Buckets of keys idle long enough to be full again are dropped when the
  // map grows past this, so unknown-key floods cannot grow it forever.
  static constexpr std::size_t kMaxBuckets = 100000;
};

}  // namespace berth::access
