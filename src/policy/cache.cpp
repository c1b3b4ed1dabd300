#include "policy/cache.hpp"

namespace berth::policy {

Result<std::shared_ptr<const Document>> PolicyCache::get(std::string_view text) {
  {
    std::lock_guard lock(mu_);
    if (auto it = by_text_.find(text); it != by_text_.end()) return it->second;
  }
  // Parsed outside the lock: two threads may parse one text at once, and
  // the second insert is a no-op.
  auto parsed = std::make_shared<const Document>(BERTH_TRY(parse_document(text)));
  std::lock_guard lock(mu_);
  if (by_text_.size() >= capacity_) by_text_.clear();
  by_text_.emplace(std::string(text), parsed);
  return parsed;
}

std::size_t PolicyCache::size() const {
  std::lock_guard lock(mu_);
  return by_text_.size();
}

}  // namespace berth::policy
