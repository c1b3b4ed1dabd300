#include "gc/collector.hpp"

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>

#include "registry/registry.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"
#include "util/time.hpp"

namespace berth::gc {
namespace {

using registry::RepositoryRef;
using registry::testing::push_blob;
using registry::testing::sha256_of;

constexpr std::int64_t kHour = 3'600'000;

class CollectorTest : public ::testing::Test {
 protected:
  CollectorTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_) {}
  ~CollectorTest() override { pool_.join(); }

  // A run "hours_later" after now, applying unless told not to.
  GcReport collect(std::int64_t hours_later, bool apply = true, bool full = false) {
    GcOptions options;
    options.delay = std::chrono::hours(24);
    options.upload_expiry = std::chrono::hours(24 * 7);
    options.apply = apply;
    options.full = full;
    options.now_ms = now_ms() + hours_later * kHour;
    auto report = Collector(*blobs_, *meta_, options).run();
    EXPECT_TRUE(report.has_value()) << report.error().message;
    return report.value_or(GcReport{});
  }

  bool stored(std::string_view bytes) { return blobs_->stat(sha256_of(bytes)).has_value(); }

  // An image of one config and one layer under `tag`.
  void push_image(const RepositoryRef& repo, const std::string& tag, const std::string& config,
                  const std::string& layer) {
    ASSERT_TRUE(push_blob(registry_, repo, config));
    ASSERT_TRUE(push_blob(registry_, repo, layer));
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
        sha256_of(config).str() + R"(","size":)" + std::to_string(config.size()) +
        R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
        sha256_of(layer).str() + R"(","size":)" + std::to_string(layer.size()) + "}]}";
    ASSERT_TRUE(registry_.put_manifest(repo, {oci::Reference::of_tag(tag), manifest, ""}));
  }

  boost::asio::thread_pool pool_{1};
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  registry::Registry registry_;
  RepositoryRef repo_{"111111111111:us-east-1", "team/app"};
  RepositoryRef other_{"222222222222:eu-west-1", "team/app"};
};

TEST_F(CollectorTest, ADeletedImagesBlobsGoAfterTheGracePeriodAndNotBefore) {
  push_image(repo_, "v1", R"({"c":1})", "layer one");
  ASSERT_TRUE(registry_.delete_manifest(repo_, oci::Reference::of_tag("v1")));
  // Untagging leaves the image (ECR semantics): nothing is garbage.
  EXPECT_EQ(collect(48).blobs.blobs, 0u);
  auto image = registry_.list_images(repo_, "", 10).value();
  ASSERT_EQ(image.size(), 1u);
  ASSERT_TRUE(registry_.delete_manifest(repo_, oci::Reference::of_digest(image[0].manifest.digest)));
  // Only linked now, and within the grace period: kept.
  EXPECT_EQ(collect(1).blobs.blobs, 0u);
  EXPECT_TRUE(stored("layer one"));
  EXPECT_TRUE(registry_.stat_blob(repo_, sha256_of("layer one")).has_value());
  GcReport report = collect(25);
  EXPECT_EQ(report.blobs.blobs, 2u);
  EXPECT_EQ(report.blobs.bytes, std::string("layer one").size() + std::string(R"({"c":1})").size());
  EXPECT_EQ(report.blobs_by_registry.at(repo_.registry).blobs, 2u);
  EXPECT_FALSE(stored("layer one"));
  EXPECT_FALSE(stored(R"({"c":1})"));
  // Its link went with it: the repository no longer offers it.
  EXPECT_FALSE(registry_.stat_blob(repo_, sha256_of("layer one")).has_value());
}

TEST_F(CollectorTest, ALayerPushedWithoutAManifestLivesForTheGracePeriod) {
  ASSERT_TRUE(push_blob(registry_, repo_, "pushed first"));
  EXPECT_EQ(collect(23).blobs.blobs, 0u);
  EXPECT_TRUE(stored("pushed first"));
  EXPECT_EQ(collect(25).blobs.blobs, 1u);
  EXPECT_FALSE(stored("pushed first"));
}

TEST_F(CollectorTest, ABlobAnotherRegistryStillUsesIsKept) {
  push_image(repo_, "v1", R"({"c":2})", "shared layer");
  push_image(other_, "v1", R"({"c":3})", "shared layer");
  ASSERT_TRUE(registry_.delete_repository(repo_, /*force=*/true));
  GcReport report = collect(48);
  EXPECT_EQ(report.blobs.blobs, 1u);  // only the first image's config
  EXPECT_FALSE(stored(R"({"c":2})"));
  EXPECT_TRUE(stored("shared layer"));
  EXPECT_TRUE(stored(R"({"c":3})"));
}

TEST_F(CollectorTest, ADryRunDeletesNothingAndReportsTheSame) {
  push_image(repo_, "v1", R"({"c":4})", "dry layer");
  ASSERT_TRUE(registry_.delete_repository(repo_, true));
  GcReport dry = collect(48, /*apply=*/false);
  EXPECT_FALSE(dry.applied);
  EXPECT_EQ(dry.blobs.blobs, 2u);
  EXPECT_TRUE(stored("dry layer"));
  GcReport wet = collect(48);
  EXPECT_EQ(wet.blobs.blobs, dry.blobs.blobs);
  EXPECT_EQ(wet.blobs.bytes, dry.blobs.bytes);
  EXPECT_FALSE(stored("dry layer"));
}

TEST_F(CollectorTest, ABlobPushedAgainBeforeItsReviewIsKept) {
  push_image(repo_, "v1", R"({"c":5})", "reused layer");
  ASSERT_TRUE(registry_.delete_repository(repo_, true));
  // The layer comes back (a new push, with an image of its own) before the
  // collector gets to it.
  push_image(other_, "v2", R"({"c":6})", "reused layer");
  collect(48);
  EXPECT_TRUE(stored("reused layer"));
  EXPECT_FALSE(stored(R"({"c":5})"));
}

TEST_F(CollectorTest, AnInterruptedCollectionIsFinishedAndNothingCanLinkItMeanwhile) {
  ASSERT_TRUE(push_blob(registry_, repo_, "doomed"));
  ASSERT_TRUE(registry_.delete_blob(repo_, sha256_of("doomed")));
  // A collector claimed the blob and died before deleting the bytes.
  ASSERT_EQ(meta_->claim_blob(sha256_of("doomed"), now_ms() + 48 * kHour).value(),
            storage::meta::BlobVerdict::kCollect);
  // A push of the same bytes cannot link them meanwhile: the client is told
  // to retry (the blob store still holds the old copy, about to vanish).
  auto pushed = push_blob(registry_, other_, "doomed");
  ASSERT_FALSE(pushed.has_value());
  EXPECT_EQ(pushed.error().code, ErrorCode::kUnavailable);
  GcReport report = collect(0);
  EXPECT_EQ(report.tombstones_finished, 1u);
  EXPECT_FALSE(stored("doomed"));
  // Pushed again afterwards, it is an ordinary blob.
  ASSERT_TRUE(push_blob(registry_, repo_, "doomed"));
  EXPECT_TRUE(stored("doomed"));
}

TEST_F(CollectorTest, OnlyOneCollectorRunsAtATime) {
  ASSERT_TRUE(meta_->acquire_job_lease("gc", "another-process", now_ms(), 60'000).value());
  GcReport skipped = collect(0);
  EXPECT_FALSE(skipped.ran);
  ASSERT_TRUE(meta_->release_job_lease("gc", "another-process"));
  EXPECT_TRUE(collect(0).ran);
}

TEST_F(CollectorTest, AbandonedUploadsExpireAndLiveOnesStay) {
  auto abandoned = registry_.begin_upload(repo_);
  ASSERT_TRUE(abandoned);
  ASSERT_TRUE(registry::testing::append_chunk(registry_, repo_, abandoned->id, "partial bytes"));
  EXPECT_EQ(collect(24).uploads.blobs, 0u);  // a day old: not abandoned yet
  GcReport report = collect(24 * 8);
  EXPECT_EQ(report.uploads.blobs, 1u);
  EXPECT_EQ(report.uploads.bytes, std::string("partial bytes").size());
  EXPECT_FALSE(registry_.upload_status(repo_, abandoned->id).has_value());
  EXPECT_FALSE(blobs_->stat_upload(abandoned->id).has_value());
}

TEST_F(CollectorTest, TheFullSweepFindsGarbageTheQueueNeverSaw) {
  // Bytes written straight to the store (as a crash before queueing would
  // leave them): only the walk can find them.
  auto writer = blobs_->begin_upload("orphan-upload");
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->append(std::string_view("orphan bytes")));
  ASSERT_TRUE((*writer)->commit(sha256_of("orphan bytes")));
  EXPECT_EQ(collect(48).blobs.blobs, 0u);
  EXPECT_TRUE(stored("orphan bytes"));
  GcReport full = collect(48, true, /*full=*/true);
  EXPECT_EQ(full.blobs.blobs, 1u);
  EXPECT_FALSE(stored("orphan bytes"));
}

}  // namespace
}  // namespace berth::gc
