// The events the core emits for pushes: which change each push reports,
// and that a change another call already made is not reported twice.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "registry/registry.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::registry {
namespace {

using Kind = RegistryEvent::Kind;

// Keeps every event the registry emits, from any thread.
class EventLog {
 public:
  EventSink sink() {
    return [this](const RegistryEvent& event) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
    };
  }
  std::vector<RegistryEvent> of_kind(Kind kind) const {
    std::lock_guard lock(mu_);
    std::vector<RegistryEvent> out;
    for (const auto& event : events_) {
      if (event.kind == kind) out.push_back(event);
    }
    return out;
  }
  std::vector<Kind> kinds() const {
    std::lock_guard lock(mu_);
    std::vector<Kind> out;
    for (const auto& event : events_) out.push_back(event.kind);
    return out;
  }
  void clear() {
    std::lock_guard lock(mu_);
    events_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<RegistryEvent> events_;
};

RegistryOptions with_events(EventLog& log, std::uint64_t max_repositories) {
  RegistryOptions options;
  options.events = log.sink();
  options.quotas.max_repositories_per_registry = max_repositories;
  return options;
}

// Run once with the repository quota on (the default: the creation is
// counted in its own commit) and once off (the store's call alone).
class RegistryEventsTest : public ::testing::TestWithParam<std::uint64_t> {
 protected:
  RegistryEventsTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_, with_events(log_, GetParam())) {}
  ~RegistryEventsTest() override { pool_.join(); }

  // An image manifest whose blobs are pushed; `salt` makes it distinct.
  std::string pushed_image(std::string_view salt) {
    const std::string config = R"({"architecture":"amd64","os":"linux","salt":")" +
                               std::string(salt) + "\"}";
    const std::string layer = "layer " + std::string(salt);
    EXPECT_TRUE(testing::push_blob(registry_, repo_, config).has_value());
    EXPECT_TRUE(testing::push_blob(registry_, repo_, layer).has_value());
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
           testing::sha256_of(config).str() + R"(","size":)" + std::to_string(config.size()) +
           R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
           R"("digest":")" +
           testing::sha256_of(layer).str() + R"(","size":)" + std::to_string(layer.size()) +
           "}]}";
  }

  Result<PutManifestResult> put(const std::string& manifest, std::string_view tag) {
    return registry_.put_manifest(repo_, {oci::Reference::of_tag(std::string(tag)), manifest,
                                          "application/vnd.oci.image.manifest.v1+json"});
  }

  EventLog log_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  Registry registry_;
  RepositoryRef repo_{"123456789012:us-east-1", "team/app"};
};

TEST_P(RegistryEventsTest, TheFirstPushReportsTheRepositoryItCreatesOnce) {
  const std::string manifest = pushed_image("first");
  ASSERT_TRUE(put(manifest, "v1").has_value());
  ASSERT_TRUE(put(pushed_image("second"), "v2").has_value());
  const auto created = log_.of_kind(Kind::kRepositoryCreated);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].registry, repo_.registry);
  EXPECT_EQ(created[0].repository, repo_.name);
  EXPECT_EQ(created[0].cause, RegistryEvent::Cause::kApi);
  EXPECT_GT(created[0].time_ms, 0);
  // Reported before anything pushed into it.
  EXPECT_EQ(log_.kinds().front(), Kind::kRepositoryCreated);
}

TEST_P(RegistryEventsTest, APushIntoAnExistingRepositoryCreatesNothing) {
  ASSERT_TRUE(registry_.create_repository(repo_, "{}").has_value());
  ASSERT_TRUE(put(pushed_image("into-existing"), "v1").has_value());
  // CreateRepository's own event, and no second one from the push.
  EXPECT_EQ(log_.of_kind(Kind::kRepositoryCreated).size(), 1u);
}

TEST_P(RegistryEventsTest, OfConcurrentFirstPushesOnlyOneReportsTheCreation) {
  constexpr int kPushers = 8;
  std::vector<std::thread> pushers;
  for (int i = 0; i < kPushers; ++i) {
    pushers.emplace_back([this, i] {
      auto pushed = testing::push_blob(registry_, repo_, "blob " + std::to_string(i));
      EXPECT_TRUE(pushed.has_value()) << (pushed ? "" : pushed.error().message);
    });
  }
  for (auto& pusher : pushers) pusher.join();
  EXPECT_EQ(log_.of_kind(Kind::kRepositoryCreated).size(), 1u);
}

TEST_P(RegistryEventsTest, AFailedFirstPushReportsNoRepository) {
  RepositoryRef invalid{repo_.registry, "Not/A/Valid/Name"};
  EXPECT_FALSE(testing::push_blob(registry_, invalid, "bytes").has_value());
  EXPECT_TRUE(log_.of_kind(Kind::kRepositoryCreated).empty());
}

TEST_P(RegistryEventsTest, APushThatMovesATagReportsTheMoveAfterThePush) {
  const std::string first = pushed_image("one");
  const std::string second = pushed_image("two");
  auto was = put(first, "latest");
  ASSERT_TRUE(was.has_value());
  log_.clear();
  auto now = put(second, "latest");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(log_.kinds(), (std::vector<Kind>{Kind::kImagePushed, Kind::kTagMoved}));
  const auto moved = log_.of_kind(Kind::kTagMoved);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].tag, "latest");
  EXPECT_EQ(moved[0].digest, now->digest.str());
  EXPECT_EQ(moved[0].previous_digest, was->digest.str());
  EXPECT_EQ(moved[0].media_type, "application/vnd.oci.image.manifest.v1+json");
}

TEST_P(RegistryEventsTest, ANewTagOrTheSameDigestAgainMovesNothing) {
  const std::string manifest = pushed_image("same");
  ASSERT_TRUE(put(manifest, "v1").has_value());
  ASSERT_TRUE(put(manifest, "v1").has_value());   // re-push: same digest, same tag
  ASSERT_TRUE(put(manifest, "v2").has_value());   // a second tag, new
  EXPECT_TRUE(log_.of_kind(Kind::kTagMoved).empty());
  EXPECT_EQ(log_.of_kind(Kind::kImagePushed).size(), 3u);
}

TEST_P(RegistryEventsTest, OfSeveralTagsOnlyThoseThatPointedElsewhereMoved) {
  const std::string first = pushed_image("a");
  const std::string second = pushed_image("b");
  ASSERT_TRUE(put(first, "stable").has_value());
  ASSERT_TRUE(put(second, "keep").has_value());
  log_.clear();
  // One push: "stable" moves from the first image, "keep" already points
  // here, "fresh" is new.
  auto pushed = registry_.put_manifest(
      repo_, {oci::Reference::of_tag("stable"), second,
              "application/vnd.oci.image.manifest.v1+json", false, {"keep", "fresh"}});
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  const auto moved = log_.of_kind(Kind::kTagMoved);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].tag, "stable");
  EXPECT_EQ(moved[0].previous_digest, testing::sha256_of(first).str());
  EXPECT_EQ(log_.of_kind(Kind::kImagePushed).size(), 3u);
}

TEST_P(RegistryEventsTest, ARefusedMoveOfAnImmutableTagReportsNothing) {
  ASSERT_TRUE(put(pushed_image("kept"), "v1").has_value());
  ASSERT_TRUE(
      registry_.update_repository_settings(repo_, R"({"imageTagMutability":"IMMUTABLE"})"));
  log_.clear();
  auto refused = put(pushed_image("refused"), "v1");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kTagImmutable);
  EXPECT_TRUE(log_.of_kind(Kind::kTagMoved).empty());
  EXPECT_TRUE(log_.of_kind(Kind::kImagePushed).empty());
}

INSTANTIATE_TEST_SUITE_P(QuotaOnAndOff, RegistryEventsTest, ::testing::Values(100000u, 0u),
                         [](const auto& info) {
                           return info.param == 0 ? std::string("NoRepositoryQuota")
                                                  : std::string("RepositoryQuota");
                         });

}  // namespace
}  // namespace berth::registry
