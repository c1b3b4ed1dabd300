// Fuzz target: lifecycle policies (lifecycle/policy.hpp) and their
// evaluation (lifecycle/evaluator.hpp). The input is an image spec line,
// '\n', then the policy text. Any text must parse or be refused in ECR's
// words; a policy that parses must keep the grammar's promises, and its
// evaluation over the images the spec describes must keep ECR's evaluation
// rules: each image acted on at most once, only by a rule that selects it
// in its storage class, never a referrer, never a child an index holds
// back, never one of the N youngest an imageCountMoreThan rule keeps,
// oldest first.
#include <algorithm>
#include <climits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "lifecycle/evaluator.hpp"

namespace {

using namespace berth::lifecycle;

constexpr std::int64_t kNow = 1'900'000'000'000;
constexpr const char* kTags[] = {"prod-1", "beta-2", "alpha", "v1.2.3", "latest", "dev-7"};

// One image per byte: its tags, age, storage class and relations.
std::vector<ImageFacts> images_from(std::string_view spec) {
  std::vector<ImageFacts> images;
  for (std::size_t i = 0; i < std::min<std::size_t>(spec.size(), 64); ++i) {
    const auto b = static_cast<unsigned char>(spec[i]);
    ImageFacts f;
    f.digest = "sha256:" + std::to_string(1000 + i);
    for (int t = 0; t < 6; ++t) {
      if (((b >> t) & 1) != 0 && (b & 0xC0) != 0xC0) f.tags.emplace_back(kTags[t]);
    }
    f.pushed_at_ms = kNow - static_cast<std::int64_t>(b % 37) * kDayMs - static_cast<std::int64_t>(i);
    if ((b & 0x10) != 0) f.last_pulled_at_ms = f.pushed_at_ms + (b % 5) * kDayMs;
    if ((b & 0x80) != 0) {
      f.storage_class = StorageClass::kArchive;
      f.last_archived_at_ms = kNow - static_cast<std::int64_t>(b % 200) * kDayMs;
    } else if ((b & 0x20) != 0 && (b & 0x40) != 0) {
      f.last_archived_at_ms = kNow - 300 * kDayMs;
      f.last_activated_at_ms = kNow - static_cast<std::int64_t>(b % 3) * kDayMs + 60'000;
    }
    f.listed_by_index = (b % 7) == 0;
    f.listed_by_standard_index = f.listed_by_index && (b % 2 == 0);
    f.follows_subject = (b % 11) == 0;
    images.push_back(std::move(f));
  }
  return images;
}

void check_policy(const LifecyclePolicy& p) {
  FUZZ_CHECK(!p.rules.empty() && p.rules.size() <= kMaxRules, "rule count");
  for (std::size_t i = 0; i < p.rules.size(); ++i) {
    const Rule& r = p.rules[i];
    if (i > 0) FUZZ_CHECK(p.rules[i - 1].priority < r.priority, "rules not in priority order");
    FUZZ_CHECK(r.priority >= 1 && r.count_number >= 1, "minimums");
    FUZZ_CHECK((r.tag_status == TagStatus::kTagged) ==
                   (!r.tag_prefixes.empty() || !r.tag_patterns.empty()),
               "tag lists and tag status disagree");
    FUZZ_CHECK(r.tag_prefixes.empty() || r.tag_patterns.empty(), "both tag lists");
    for (const std::string& pattern : r.tag_patterns) {
      FUZZ_CHECK(std::count(pattern.begin(), pattern.end(), '*') <= kMaxWildcardsPerPattern,
                 "too many wildcards accepted");
    }
    FUZZ_CHECK((r.storage_class == StorageClass::kArchive) ==
                   (r.count_type == CountType::kSinceImageTransitioned),
               "storage class and count type disagree");
    if (r.count_type == CountType::kSinceImagePulled) {
      FUZZ_CHECK(r.action == ActionType::kTransition, "sinceImagePulled expires");
    }
    if (r.count_type == CountType::kSinceImageTransitioned) {
      FUZZ_CHECK(r.action == ActionType::kExpire && r.count_number >= kMinDaysInArchive,
                 "sinceImageTransitioned rule accepted out of bounds");
    }
  }
}

void check_evaluation(const LifecyclePolicy& p, const std::vector<ImageFacts>& images) {
  const std::vector<Action> actions = evaluate(p, images, kNow);
  std::map<std::int64_t, const Rule*> by_priority;
  for (const Rule& r : p.rules) by_priority[r.priority] = &r;
  std::set<std::size_t> acted;
  std::int64_t previous = LLONG_MIN;
  for (const Action& a : actions) {
    FUZZ_CHECK(a.image < images.size(), "action on no image");
    FUZZ_CHECK(acted.insert(a.image).second, "an image acted on twice");
    const ImageFacts& f = images[a.image];
    const Rule* rule = by_priority.at(a.rule_priority);
    FUZZ_CHECK(rule->action == a.type, "action type is not the rule's");
    FUZZ_CHECK(f.storage_class == rule->storage_class, "rule acted outside its storage class");
    FUZZ_CHECK(tags_selected(*rule, f.tags), "rule acted on an image it does not select");
    FUZZ_CHECK(!f.follows_subject, "a referrer was acted on");
    FUZZ_CHECK(f.last_activated_at_ms <= kNow, "an image being restored was acted on");
    if (a.type == ActionType::kExpire) FUZZ_CHECK(!f.listed_by_index, "a listed child expired");
    if (a.type == ActionType::kTransition) {
      FUZZ_CHECK(!f.listed_by_standard_index, "a listed child archived");
    }
    // No higher-priority rule of its storage class selected it.
    for (const Rule& r : p.rules) {
      if (r.priority >= a.rule_priority) break;
      if (r.storage_class == f.storage_class) {
        FUZZ_CHECK(!tags_selected(r, f.tags), "a lower-priority rule took a claimed image");
      }
    }
    if (rule->count_type == CountType::kImageCountMoreThan) {
      std::int64_t younger = 0;
      const std::int64_t mine = effective_push_time(f);
      for (const ImageFacts& other : images) {
        if (other.follows_subject || other.storage_class != rule->storage_class ||
            !tags_selected(*rule, other.tags)) {
          continue;
        }
        const std::int64_t t = effective_push_time(other);
        if (t > mine || (t == mine && other.digest > f.digest)) ++younger;
      }
      FUZZ_CHECK(younger >= rule->count_number, "one of the N youngest was expired");
    }
    const std::int64_t t = effective_push_time(f);
    FUZZ_CHECK(t >= previous, "actions not oldest first");
    previous = t;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = berth::fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  const std::string_view spec = newline == std::string_view::npos ? "" : input.substr(0, newline);
  const std::string_view text =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  auto policy = parse_lifecycle_policy(text);
  if (!policy) {
    FUZZ_CHECK(policy.error().code == berth::ErrorCode::kInvalidArgument, "error code");
    FUZZ_CHECK(policy.error().message.starts_with("Lifecycle policy validation failure: "),
               "refusal not in ECR's words");
    return 0;
  }
  check_policy(*policy);
  check_evaluation(*policy, images_from(spec));
  return 0;
}
