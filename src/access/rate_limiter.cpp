#include "access/rate_limiter.hpp"

#include <algorithm>

namespace berth::access {

std::string_view operation_family(std::string_view action) {
  if (action.starts_with("ecr:")) action.remove_prefix(4);
  if (action == "BatchGetImage" || action == "GetDownloadUrlForLayer" ||
      action == "BatchCheckLayerAvailability" || action.starts_with("Describe") ||
      action.starts_with("List")) {
    return "pull";
  }
  if (action == "InitiateLayerUpload" || action == "UploadLayerPart" ||
      action == "CompleteLayerUpload" || action == "PutImage") {
    return "push";
  }
  if (action == "BatchDeleteImage") return "delete";
  return "other";
}

RateLimiter::RateLimiter(RateLimit limit) : limit_(limit) {
  if (limit_.per_second > 0) limit_.burst = std::max(limit_.burst, 1.0);
}

std::optional<double> RateLimiter::try_take(std::string_view who, std::string_view family,
                                            std::int64_t now_ms) {
  if (!enabled()) return std::nullopt;
  std::string key(who);
  key.push_back('/');
  key.append(family);
  std::lock_guard lock(mu_);
  if (buckets_.size() >= kMaxBuckets && !buckets_.contains(key)) {
    const double full_after_ms = limit_.burst / limit_.per_second * 1000.0;
    std::erase_if(buckets_, [&](const auto& entry) {
      return static_cast<double>(now_ms - entry.second.updated_ms) >= full_after_ms;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(std::move(key), Bucket{limit_.burst, now_ms});
  Bucket& b = it->second;
  if (!fresh && now_ms > b.updated_ms) {
    b.tokens = std::min(limit_.burst,
                        b.tokens + static_cast<double>(now_ms - b.updated_ms) / 1000.0 *
                                       limit_.per_second);
    b.updated_ms = now_ms;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return (1.0 - b.tokens) / limit_.per_second;
}

}  // namespace berth::access
