#include "gc/gc_command.hpp"

#include <unistd.h>

#include <boost/json.hpp>

#include "gc/collector.hpp"
#include "storage/factory/store_factory.hpp"
#include "storage/factory/store_url.hpp"
#include "util/duration.hpp"

namespace berth::gc {

namespace {

constexpr int kExitDone = 0;
constexpr int kExitPartial = 1;
constexpr int kExitError = 2;

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

boost::json::object reclaimed_json(const Reclaimed& r) {
  return {{"count", r.blobs}, {"bytes", r.bytes}};
}

boost::json::object report_json(const GcReport& report, const GcCommandOptions& options) {
  boost::json::object doc;
  doc["ran"] = report.ran;
  doc["applied"] = report.applied;
  doc["delay"] = format_duration(options.delay);
  doc["upload_expiry"] = format_duration(options.upload_expiry);
  doc["blobs_reviewed"] = report.blobs_reviewed;
  doc["blobs_kept"] = report.blobs_kept;
  doc["blobs_reclaimed"] = reclaimed_json(report.blobs);
  boost::json::object by_registry;
  for (const auto& [registry, r] : report.blobs_by_registry) {
    by_registry[registry.empty() ? "(unknown)" : registry] = reclaimed_json(r);
  }
  doc["blobs_reclaimed_by_registry"] = std::move(by_registry);
  doc["interrupted_collections_finished"] = report.tombstones_finished;
  doc["uploads_cancelled"] = reclaimed_json(report.uploads);
  doc["errors"] = report.errors;
  if (!report.first_error.empty()) doc["first_error"] = report.first_error;
  return doc;
}

void print_summary(std::FILE* out, const GcReport& report) {
  if (!report.ran) {
    std::fprintf(out, "berth gc: another process is collecting; nothing done\n");
    return;
  }
  const char* verb = report.applied ? "deleted" : "would delete (dry run; --apply to delete)";
  std::fprintf(out, "blobs: reviewed %llu, kept %llu (referenced again), %s %llu (%s)\n",
               static_cast<unsigned long long>(report.blobs_reviewed),
               static_cast<unsigned long long>(report.blobs_kept), verb,
               static_cast<unsigned long long>(report.blobs.blobs),
               human_bytes(report.blobs.bytes).c_str());
  for (const auto& [registry, r] : report.blobs_by_registry) {
    std::fprintf(out, "  %s: %llu blobs, %s\n", registry.empty() ? "(unknown)" : registry.c_str(),
                 static_cast<unsigned long long>(r.blobs), human_bytes(r.bytes).c_str());
  }
  if (report.tombstones_finished > 0) {
    std::fprintf(out, "finished %llu collections an earlier run left half done\n",
                 static_cast<unsigned long long>(report.tombstones_finished));
  }
  std::fprintf(out, "uploads: %s %llu expired (%s)\n", report.applied ? "cancelled" : "would cancel",
               static_cast<unsigned long long>(report.uploads.blobs),
               human_bytes(report.uploads.bytes).c_str());
  if (report.errors > 0) {
    std::fprintf(out, "%llu items failed and stay for the next run; first: %s\n",
                 static_cast<unsigned long long>(report.errors), report.first_error.c_str());
  }
}

}  // namespace

int run_gc(const GcCommandOptions& options, std::FILE* out, std::FILE* err) {
  if (options.data_dir.empty() && (options.blob_store.empty() || options.meta_store.empty())) {
    std::fprintf(err, "berth gc: --data-dir is required (or both --blob-store and --meta-store)\n");
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
    std::fprintf(err, "berth gc: %s\n", blobs.error().message.c_str());
    return kExitError;
  }
  auto meta = storage::factory::open_meta_store(meta_url, {.must_exist = true});
  if (!meta) {
    std::fprintf(err, "berth gc: %s\n", meta.error().message.c_str());
    return kExitError;
  }
  if (!options.json) {
    std::fprintf(out, "berth gc: %s + %s (%s, grace %s, uploads expire after %s)\n",
                 storage::factory::redact_url(blob_url).c_str(),
                 storage::factory::redact_url(meta_url).c_str(),
                 options.apply ? "applying" : "dry run", format_duration(options.delay).c_str(),
                 format_duration(options.upload_expiry).c_str());
  }
  GcOptions gc_options;
  gc_options.delay = options.delay;
  gc_options.upload_expiry = options.upload_expiry;
  gc_options.apply = options.apply;
  gc_options.full = options.full;
  const bool live = options.progress && ::isatty(::fileno(err));
  if (live) {
    gc_options.progress = [err](std::string_view phase, std::uint64_t done) {
      if (done % 100 != 0) return;
      std::fprintf(err, "\rgc: %.*s %llu", static_cast<int>(phase.size()), phase.data(),
                   static_cast<unsigned long long>(done));
      std::fflush(err);
    };
  }
  auto report = Collector(**blobs, **meta, gc_options).run();
  if (live) std::fprintf(err, "\r\033[K");
  if (!report) {
    std::fprintf(err, "berth gc: %s%s%s\n", report.error().message.c_str(),
                 report.error().detail.empty() ? "" : ": ", report.error().detail.c_str());
    return kExitError;
  }
  if (options.json) {
    std::fprintf(out, "%s\n", boost::json::serialize(report_json(*report, options)).c_str());
  } else {
    print_summary(out, *report);
  }
  std::fflush(out);
  return report->errors > 0 ? kExitPartial : kExitDone;
}

}  // namespace berth::gc
