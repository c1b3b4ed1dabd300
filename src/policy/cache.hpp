// PolicyCache: parsed Documents by their exact text, so a policy stored with
// a repository is parsed once per process, not once per request. The text
// is the key (a changed policy is a new entry), so the cache is never
// stale, whichever process changed the policy. Bounded: when it holds
// `capacity` documents it is emptied and refilled by use (policies are few
// and small; an LRU would cost more than it saves).
//
// Thread-safety: get() may be called concurrently from any thread; the
// Documents it returns are immutable and shared.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/document.hpp"

namespace berth::policy {

class PolicyCache {
 public:
  explicit PolicyCache(std::size_t capacity = 4096) : capacity_(capacity) {}

  // The parsed document, or parse_document's error (errors are not cached).
  Result<std::shared_ptr<const Document>> get(std::string_view text);

  std::size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mu_;
  std::size_t capacity_;
  std::unordered_map<std::string, std::shared_ptr<const Document>, Hash, std::equal_to<>> by_text_;
};

}  // namespace berth::policy
