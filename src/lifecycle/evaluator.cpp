#include "lifecycle/evaluator.hpp"

#include <algorithm>
#include <limits>

#include "registry/manifest_facts.hpp"

namespace berth::lifecycle {

namespace {

bool any_tag(const std::vector<std::string>& tags, auto&& matches) {
  return std::any_of(tags.begin(), tags.end(), matches);
}

// now - days, without overflow for absurd counts.
std::int64_t cutoff(std::int64_t now_ms, std::int64_t days) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  // countNumber is at most 2^31 - 1 days (~1.9e17 ms): only an absurd
  // clock could make this underflow.
  if (days > kMaxCountNumber || now_ms < kMin / 2) return kMin;
  return now_ms - days * kDayMs;
}

// Youngest first; of images pushed at the same instant, the greater digest.
bool younger(const ImageFacts& a, const ImageFacts& b) {
  const std::int64_t ta = effective_push_time(a), tb = effective_push_time(b);
  if (ta != tb) return ta > tb;
  return a.digest > b.digest;
}

std::int64_t last_use(const ImageFacts& image) {
  const std::int64_t pulled = image.last_pulled_at_ms > 0 ? image.last_pulled_at_ms
                                                          : image.pushed_at_ms;
  return std::max(pulled, image.last_activated_at_ms);
}

// The selected images the rule's count says to act on.
std::vector<std::size_t> candidates(const Rule& rule, std::span<const ImageFacts> images,
                                    std::vector<std::size_t> selected, std::int64_t now_ms) {
  if (rule.count_type == CountType::kImageCountMoreThan) {
    std::sort(selected.begin(), selected.end(),
              [&](std::size_t a, std::size_t b) { return younger(images[a], images[b]); });
    const auto keep = static_cast<std::size_t>(
        std::min<std::int64_t>(rule.count_number, static_cast<std::int64_t>(selected.size())));
    return {selected.begin() + static_cast<std::ptrdiff_t>(keep), selected.end()};
  }
  const std::int64_t before = cutoff(now_ms, rule.count_number);
  std::vector<std::size_t> out;
  for (std::size_t i : selected) {
    const ImageFacts& image = images[i];
    std::int64_t since = 0;
    switch (rule.count_type) {
      case CountType::kSinceImagePushed: since = effective_push_time(image); break;
      case CountType::kSinceImagePulled: since = last_use(image); break;
      case CountType::kSinceImageTransitioned: since = image.last_archived_at_ms; break;
      case CountType::kImageCountMoreThan: break;
    }
    if (since < before) out.push_back(i);
  }
  return out;
}

bool may_act(const ImageFacts& image, ActionType type, std::int64_t now_ms) {
  if (image.last_activated_at_ms > now_ms) return false;  // a restore is under way
  if (type == ActionType::kExpire) return !image.listed_by_index;
  return !image.listed_by_standard_index;
}

}  // namespace

std::int64_t effective_push_time(const ImageFacts& image) {
  return std::max(image.pushed_at_ms, image.last_activated_at_ms);
}

bool tags_selected(const Rule& rule, const std::vector<std::string>& tags) {
  switch (rule.tag_status) {
    case TagStatus::kAny: return true;
    case TagStatus::kUntagged: return tags.empty();
    case TagStatus::kTagged: break;
  }
  if (tags.empty()) return false;
  for (const std::string& prefix : rule.tag_prefixes) {
    if (!any_tag(tags, [&](const std::string& t) { return t.starts_with(prefix); })) return false;
  }
  for (const std::string& pattern : rule.tag_patterns) {
    if (!any_tag(tags, [&](const std::string& t) { return registry::wildcard_match(pattern, t); })) {
      return false;
    }
  }
  return true;
}

std::vector<Action> evaluate(const LifecyclePolicy& policy, std::span<const ImageFacts> images,
                             std::int64_t now_ms) {
  std::vector<bool> claimed(images.size(), false);
  std::vector<Action> actions;
  for (const Rule& rule : policy.rules) {  // ascending priority
    std::vector<std::size_t> selected;
    for (std::size_t i = 0; i < images.size(); ++i) {
      const ImageFacts& image = images[i];
      if (image.follows_subject || image.storage_class != rule.storage_class) continue;
      if (tags_selected(rule, image.tags)) selected.push_back(i);
    }
    for (std::size_t i : candidates(rule, images, selected, now_ms)) {
      if (claimed[i] || !may_act(images[i], rule.action, now_ms)) continue;
      actions.push_back(Action{i, rule.action, rule.priority});
    }
    for (std::size_t i : selected) claimed[i] = true;
  }
  std::sort(actions.begin(), actions.end(), [&](const Action& a, const Action& b) {
    return younger(images[b.image], images[a.image]);
  });
  return actions;
}

}  // namespace berth::lifecycle
