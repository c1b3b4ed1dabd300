// Runs the shared BlobStore conformance suite over a real S3-compatible
// store named by the environment (scripts/test-backends/rgw.sh prints it):
// BERTH_TEST_S3_ENDPOINT, BERTH_TEST_S3_ACCESS_KEY, BERTH_TEST_S3_SECRET_KEY
// and optionally BERTH_TEST_S3_REGION. Skipped without them, failed under
// BERTH_REQUIRE_BACKENDS=1. Each test gets a fresh key prefix in one bucket;
// the part size is S3's minimum, so the 5 MiB case goes through a
// multipart upload.
#include <random>

#include "conformance/blob_store_suite.hpp"
#include "conformance/external_backend.hpp"
#include "storage/blob/s3/s3_address.hpp"
#include "storage/blob/s3/s3_blob_store.hpp"

namespace berth::conformance {
namespace {

namespace s3 = storage::blob::s3;

BlobStoreFactory s3_factory() {
  auto make = []() -> std::unique_ptr<storage::blob::BlobStore> {
    std::string endpoint, access_key, secret_key;
    require_backend_env("BERTH_TEST_S3_ENDPOINT", "S3", &endpoint);
    if (endpoint.empty()) return nullptr;
    require_backend_env("BERTH_TEST_S3_ACCESS_KEY", "S3", &access_key);
    require_backend_env("BERTH_TEST_S3_SECRET_KEY", "S3", &secret_key);
    if (access_key.empty() || secret_key.empty()) return nullptr;
    s3::S3Config config;
    auto parsed = s3::parse_endpoint(endpoint);
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message;
      return nullptr;
    }
    config.endpoint = *parsed;
    const char* region = std::getenv("BERTH_TEST_S3_REGION");
    config.region = region && *region ? region : "us-east-1";
    config.path_style = true;
    config.bucket = "berth-conformance";
    std::random_device random;
    config.prefix = "t" + std::to_string(random()) + std::to_string(random());
    config.credential = {access_key, secret_key, std::nullopt};
    config.part_size = s3::kMinPartSize;
    auto store = s3::open_s3_blob_store(std::move(config), {.create_bucket = true});
    if (!store) {
      ADD_FAILURE() << store.error().message;
      return nullptr;
    }
    return std::move(*store);
  };
  return {"Rgw", make, nullptr};
}

INSTANTIATE_TEST_SUITE_P(S3, BlobStoreConformance, ::testing::Values(s3_factory()),
                         blob_store_factory_name);

}  // namespace
}  // namespace berth::conformance
