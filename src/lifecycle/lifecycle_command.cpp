#include "lifecycle/lifecycle_command.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "lifecycle/runner.hpp"
#include "storage/factory/store_factory.hpp"
#include "storage/factory/store_url.hpp"
#include "util/time.hpp"

namespace berth::lifecycle {

namespace {

constexpr int kExitDone = 0;
constexpr int kExitPartial = 1;
constexpr int kExitError = 2;

std::string_view class_name(StorageClass c) {
  return c == StorageClass::kArchive ? "archive" : "standard";
}

boost::json::object report_json(const LifecycleReport& report) {
  boost::json::object doc;
  doc["ran"] = report.ran;
  doc["applied"] = report.applied;
  doc["evaluated_at"] = format_rfc3339(report.evaluated_at_ms);
  doc["repositories"] = report.repositories;
  doc["expired"] = report.expired;
  doc["transitioned"] = report.transitioned;
  doc["skipped"] = report.skipped;
  doc["errors"] = report.errors;
  if (!report.first_error.empty()) doc["first_error"] = report.first_error;
  boost::json::array actions;
  boost::json::array failures;
  for (const RepositoryOutcome& o : report.outcomes) {
    if (!o.error.empty()) {
      failures.push_back({{"registry", o.repo.registry}, {"repository", o.repo.name},
                          {"error", o.error}});
    }
    for (std::size_t i = 0; i < o.actions.size(); ++i) {
      const PlannedAction& a = o.actions[i];
      boost::json::array tags;
      for (const std::string& t : a.tags) tags.emplace_back(t);
      boost::json::object entry{{"registry", o.repo.registry},
                                {"repository", o.repo.name},
                                {"imageDigest", a.digest},
                                {"imageTags", std::move(tags)},
                                {"imagePushedAt", format_rfc3339(a.pushed_at_ms)},
                                {"action", to_string(a.type)},
                                {"appliedRulePriority", a.rule_priority},
                                {"storageClass", class_name(a.storage_class)}};
      if (report.applied) entry["done"] = i < o.done.size() && o.done[i];
      actions.push_back(std::move(entry));
    }
  }
  doc["actions"] = std::move(actions);
  doc["failures"] = std::move(failures);
  return doc;
}

void print_summary(std::FILE* out, const LifecycleReport& report) {
  if (!report.ran) {
    std::fprintf(out, "berth lifecycle: another process is evaluating; nothing done\n");
    return;
  }
  for (const RepositoryOutcome& o : report.outcomes) {
    if (!o.error.empty()) {
      std::fprintf(out, "%s %s: failed: %s\n", o.repo.registry.c_str(), o.repo.name.c_str(),
                   o.error.c_str());
    }
    for (std::size_t i = 0; i < o.actions.size(); ++i) {
      const PlannedAction& a = o.actions[i];
      std::string tags;
      for (const std::string& t : a.tags) tags += (tags.empty() ? "" : ",") + t;
      const bool skipped = report.applied && i < o.done.size() && !o.done[i];
      std::fprintf(out, "%s %s: %s %s [%s] pushed %s (rule %lld)%s\n", o.repo.registry.c_str(),
                   o.repo.name.c_str(), std::string(to_string(a.type)).c_str(), a.digest.c_str(),
                   tags.c_str(), format_rfc3339(a.pushed_at_ms).c_str(),
                   static_cast<long long>(a.rule_priority),
                   skipped ? " skipped: the image changed since" : "");
    }
  }
  const char* how = report.applied ? "" : " (dry run; --apply to act)";
  std::fprintf(out,
               "%llu repositories with a policy: %llu images %s, %llu %s%s\n",
               static_cast<unsigned long long>(report.repositories),
               static_cast<unsigned long long>(report.expired),
               report.applied ? "expired" : "to expire",
               static_cast<unsigned long long>(report.transitioned),
               report.applied ? "archived" : "to archive", how);
  if (report.errors > 0) {
    std::fprintf(out, "%llu repositories failed and are evaluated again next time; first: %s\n",
                 static_cast<unsigned long long>(report.errors), report.first_error.c_str());
  }
}

}  // namespace

int run_lifecycle(const LifecycleCommandOptions& options, std::FILE* out, std::FILE* err) {
  if (options.data_dir.empty() && (options.blob_store.empty() || options.meta_store.empty())) {
    std::fprintf(err,
                 "berth lifecycle: --data-dir is required (or both --blob-store and --meta-store)\n");
    return kExitError;
  }
  const std::string blob_url = options.blob_store.empty()
                                   ? storage::factory::default_blob_store_url(options.data_dir)
                                   : options.blob_store;
  const std::string meta_url = options.meta_store.empty()
                                   ? storage::factory::default_meta_store_url(options.data_dir)
                                   : options.meta_store;
  storage::factory::BlobStoreOpenOptions blob_options;
  blob_options.must_exist = true;
  blob_options.credentials_file = options.blob_store_credentials;
  auto blobs = storage::factory::open_blob_store(blob_url, blob_options);
  if (!blobs) {
    std::fprintf(err, "berth lifecycle: %s\n", blobs.error().message.c_str());
    return kExitError;
  }
  auto meta = storage::factory::open_meta_store(meta_url, {.must_exist = true});
  if (!meta) {
    std::fprintf(err, "berth lifecycle: %s\n", meta.error().message.c_str());
    return kExitError;
  }
  boost::asio::thread_pool blocking(1);
  LifecycleReport report;
  {
    registry::Registry core(**blobs, **meta, blocking);
    LifecycleOptions run_options;
    run_options.apply = options.apply;
    auto ran = LifecycleRunner(core, **meta, run_options).run();
    if (!ran) {
      std::fprintf(err, "berth lifecycle: %s%s%s\n", ran.error().message.c_str(),
                   ran.error().detail.empty() ? "" : ": ", ran.error().detail.c_str());
      blocking.join();
      return kExitError;
    }
    report = std::move(*ran);
  }
  blocking.join();
  if (options.json) {
    std::fprintf(out, "%s\n", boost::json::serialize(report_json(report)).c_str());
  } else {
    print_summary(out, report);
  }
  std::fflush(out);
  return report.errors > 0 ? kExitPartial : kExitDone;
}

}  // namespace berth::lifecycle
