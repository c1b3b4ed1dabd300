#include "app/observability.hpp"

#include "metrics/process_metrics.hpp"
#include "oci/digest.hpp"

namespace berth::app {

namespace {

JobMetricNames gc_names() {
  return {"gc", "berth_gc_deleted_blobs_total",
          "Blobs and expired uploads the scheduled collections deleted.",
          "berth_gc_reclaimed_bytes_total", "Bytes the scheduled collections freed."};
}

JobMetricNames lifecycle_names() {
  return {"lifecycle", "berth_lifecycle_images_total",
          "Images the scheduled lifecycle evaluations expired or archived.", "", ""};
}

bool is_not_found(ErrorCode code) {
  return code == ErrorCode::kBlobNotFound || code == ErrorCode::kManifestNotFound ||
         code == ErrorCode::kRepositoryNotFound;
}

}  // namespace

Observability::Observability(std::string_view version)
    : stores(registry),
      requests(registry),
      gc(registry, gc_names()),
      lifecycle(registry, lifecycle_names()) {
  registry
      .gauge("berth_build_info", "Always 1; the version of the running berth in a label.",
             {"version"})
      .with({version})
      .set(1);
  metrics::register_process_metrics(registry);
}

void Observability::watch_uploads(const http::ConcurrencyLimit& limit) {
  registry.callback_gauge("berth_uploads_in_progress",
                          "Requests writing into uploads right now (/v2/ PATCH, PUT and POST with "
                          "a digest; ECR UploadLayerPart).",
                          [&limit] { return static_cast<double>(limit.in_use()); });
  registry.callback_gauge("berth_uploads_max", "--max-concurrent-uploads.",
                          [&limit] { return static_cast<double>(limit.max()); });
}

std::string_view store_backend_name(std::string_view scheme) {
  if (scheme == "file") return "fs";
  if (scheme == "postgresql" || scheme == "postgres") return "postgres";
  return scheme;
}

Status check_stores(storage::blob::BlobStore& blobs, storage::meta::MetaStore& meta) {
  if (auto registries = meta.list_registries("", 1); !registries) {
    return fail(ErrorCode::kUnavailable, "metadata store", registries.error().message);
  }
  // The digest of no bytes: usually absent, which is as good an answer as
  // present.
  static const oci::Digest kProbe = oci::Digest::from_hex(
      oci::DigestAlgorithm::kSha256,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  if (auto stat = blobs.stat(kProbe); !stat && !is_not_found(stat.error().code)) {
    return fail(ErrorCode::kUnavailable, "blob store", stat.error().message);
  }
  return ok();
}

}  // namespace berth::app
