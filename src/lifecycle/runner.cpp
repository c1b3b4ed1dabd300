#include "lifecycle/runner.hpp"

#include <boost/json.hpp>
#include <unordered_map>

#include "crypto/ids.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "util/log.hpp"
#include "util/time.hpp"

namespace berth::lifecycle {

namespace json = boost::json;

namespace {

constexpr std::string_view kJob = "lifecycle";
constexpr std::int64_t kLeaseTtlMs = 60'000;
constexpr std::int64_t kLeaseRenewMs = 10'000;
constexpr std::size_t kPage = 500;

bool is_index(std::string_view media_type) {
  return media_type == oci::media_types::kOciIndex ||
         media_type == oci::media_types::kDockerManifestList;
}

// The repository's images as the evaluator sees them, from one snapshot.
Result<std::vector<ImageFacts>> gather(registry::Registry& registry,
                                       const registry::RepositoryRef& repo) {
  (void)registry.flush_pulls();  // report every pull noted so far
  std::vector<ImageFacts> images;
  Status read = registry.in_one_snapshot([&]() -> Status {
    auto record = BERTH_TRY(registry.repository(repo));
    std::unordered_map<std::string, std::size_t> by_digest;
    std::vector<std::pair<std::string, bool>> indexes;  // digest, of the standard class
    std::vector<std::pair<std::size_t, std::string>> referrers;  // image, its subject
    std::string after;
    for (;;) {
      auto page = BERTH_TRY(registry.list_images(repo, after, kPage));
      for (registry::ManifestSummary& s : page) {
        const registry::ManifestRecord& m = s.manifest;
        ImageFacts f;
        f.digest = m.digest.str();
        f.tags = std::move(s.tags);
        f.pushed_at_ms = m.pushed_at_ms;
        f.last_pulled_at_ms = m.last_pulled_at_ms;
        f.last_archived_at_ms = m.last_archived_at_ms;
        f.last_activated_at_ms = m.last_activated_at_ms;
        f.storage_class = m.storage_class;
        if (m.subject) referrers.emplace_back(images.size(), m.subject->str());
        if (is_index(m.media_type)) {
          indexes.emplace_back(f.digest, m.storage_class == StorageClass::kStandard);
        }
        by_digest.emplace(f.digest, images.size());
        images.push_back(std::move(f));
      }
      if (page.size() < kPage) break;
      after = page.back().manifest.digest.str();
    }
    // Referrers follow their subject only while it is here.
    for (const auto& [image, subject] : referrers) {
      images[image].follows_subject = by_digest.contains(subject);
    }
    // Children of the indexes.
    for (const auto& [digest, standard] : indexes) {
      auto m = BERTH_TRY(registry.get_manifest(
          record, oci::Reference::of_digest(*oci::Digest::parse(digest)), false));
      auto parsed = oci::parse_manifest(m.content, m.media_type);
      if (!parsed) continue;  // stored manifests were validated
      for (const oci::Descriptor& child : parsed->manifests) {
        auto it = by_digest.find(child.digest.str());
        if (it == by_digest.end()) continue;
        images[it->second].listed_by_index = true;
        if (standard) images[it->second].listed_by_standard_index = true;
      }
    }
    return ok();
  });
  if (!read) return std::unexpected(read.error());
  return images;
}

}  // namespace

std::string stored_policy(std::string_view settings_json) {
  boost::system::error_code ec;
  json::value doc = json::parse(settings_json, ec);
  if (ec || !doc.is_object()) return {};
  const json::value* p = doc.get_object().if_contains(kPolicySetting);
  return p != nullptr && p->is_string() ? std::string(p->get_string()) : std::string();
}

Result<std::vector<PlannedAction>> plan_repository(registry::Registry& registry,
                                                   const registry::RepositoryRef& repo,
                                                   const LifecyclePolicy& policy,
                                                   std::int64_t now_ms) {
  std::vector<ImageFacts> images = BERTH_TRY(gather(registry, repo));
  std::vector<PlannedAction> planned;
  for (const Action& a : evaluate(policy, images, now_ms)) {
    const ImageFacts& f = images[a.image];
    planned.push_back(PlannedAction{f.digest, f.tags, f.pushed_at_ms, f.storage_class, a.type,
                                    a.rule_priority});
  }
  return planned;
}

LifecycleRunner::LifecycleRunner(registry::Registry& registry, storage::meta::MetaStore& meta,
                                 LifecycleOptions options)
    : registry_(registry), meta_(meta), options_(std::move(options)) {}

void LifecycleRunner::evaluate_repository(const registry::RepositoryRecord& record,
                                          const std::string& policy_text,
                                          LifecycleReport& report) {
  RepositoryOutcome outcome;
  outcome.repo = registry::RepositoryRef{record.registry, record.name};
  auto failed = [&](const Error& e) {
    outcome.error = e.message + (e.detail.empty() ? "" : " (" + e.detail + ")");
    if (report.errors++ == 0) report.first_error = record.name + ": " + outcome.error;
    report.outcomes.push_back(std::move(outcome));
  };
  ++report.repositories;
  auto policy = parse_lifecycle_policy(policy_text);
  if (!policy) return failed(policy.error());
  auto planned = plan_repository(registry_, outcome.repo, *policy, report.evaluated_at_ms);
  if (!planned) return failed(planned.error());
  outcome.actions = std::move(*planned);
  for (const PlannedAction& action : outcome.actions) {
    bool done = true;
    if (options_.apply) {
      auto digest = oci::Digest::parse(action.digest);
      if (!digest) return failed(digest.error());
      const registry::ImageExpectation expected{action.tags, action.storage_class};
      auto acted = action.type == ActionType::kExpire
                       ? registry_.expire_image(outcome.repo, *digest, expected)
                       : registry_.archive_image(outcome.repo, *digest, expected,
                                                 report.evaluated_at_ms);
      if (!acted) return failed(acted.error());
      done = *acted;
    }
    outcome.done.push_back(done);
    if (!done) {
      ++report.skipped;
    } else if (action.type == ActionType::kExpire) {
      ++report.expired;
    } else {
      ++report.transitioned;
    }
  }
  if (options_.apply) {
    const std::int64_t at = report.evaluated_at_ms;
    auto recorded = registry_.modify_repository_settings(
        outcome.repo, [&](const std::string& current) -> Result<std::string> {
          boost::system::error_code ec;
          json::value doc = json::parse(current, ec);
          if (ec || !doc.is_object() || stored_policy(current) != policy_text) return current;
          doc.get_object()[kEvaluatedAtSetting] = at;
          return json::serialize(doc);
        });
    if (!recorded && recorded.error().code != ErrorCode::kRepositoryNotFound) {
      return failed(recorded.error());
    }
  }
  if (!outcome.actions.empty()) report.outcomes.push_back(std::move(outcome));
}

Result<LifecycleReport> LifecycleRunner::run() {
  LifecycleReport report;
  report.applied = options_.apply;
  report.evaluated_at_ms = options_.now_ms != 0 ? options_.now_ms : now_ms();
  const std::string holder = crypto::new_uuid();
  if (!BERTH_TRY(meta_.acquire_job_lease(kJob, holder, now_ms(), kLeaseTtlMs))) return report;
  report.ran = true;
  std::int64_t lease_at = now_ms();
  auto stopping = [&] { return options_.should_stop && options_.should_stop(); };
  Status done = [&]() -> Status {
    std::string after_registry;
    for (;;) {
      auto registries = BERTH_TRY(registry_.registries(after_registry, 100));
      if (registries.empty()) return ok();
      for (const std::string& registry : registries) {
        std::string after;
        for (;;) {
          auto records = BERTH_TRY(registry_.list_repository_records(registry, after, 100));
          if (records.empty()) break;
          for (const registry::RepositoryRecord& record : records) {
            if (stopping()) return ok();
            const std::string text = stored_policy(record.settings_json);
            if (text.empty()) continue;
            evaluate_repository(record, text, report);
            if (now_ms() - lease_at >= kLeaseRenewMs) {
              if (!BERTH_TRY(meta_.acquire_job_lease(kJob, holder, now_ms(), kLeaseTtlMs))) {
                return fail(ErrorCode::kUnavailable,
                            "lost the lifecycle evaluator's lease to another process");
              }
              lease_at = now_ms();
            }
          }
          after = records.back().name;
        }
      }
      after_registry = registries.back();
    }
  }();
  (void)meta_.release_job_lease(kJob, holder);
  BERTH_TRY_STATUS(done);
  return report;
}

}  // namespace berth::lifecycle
