// The runner over the registry core and memory stores: what it applies,
// what a dry run leaves alone, the guards against images that changed, the
// job lease, and the recorded evaluation time.
#include "lifecycle/runner.hpp"

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "oci/media_types.hpp"
#include "registry/image_status.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"
#include "util/time.hpp"

namespace berth::lifecycle {
namespace {

namespace json = boost::json;
using registry::RepositoryRef;
using storage::meta::ManifestRecord;
using storage::meta::ManifestReference;
using storage::meta::PutManifestOptions;
using storage::meta::ReferenceKind;

constexpr std::int64_t kNow = 1'800'000'000'000;
const RepositoryRef kRepo{"123456789012:us-east-1", "team/app"};

oci::Digest digest_n(int n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n);
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, hex);
}

class RunnerTest : public ::testing::Test {
 protected:
  RunnerTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        core_(*blobs_, *meta_, pool_) {
    repo_id_ = meta_->ensure_repository(kRepo.registry, kRepo.name, kNow)->id;
  }
  ~RunnerTest() override { pool_.join(); }

  // An image pushed `days_ago` days before kNow, with tags.
  void push(int n, std::vector<std::string> tags, double days_ago,
            std::optional<oci::Digest> subject = std::nullopt) {
    ManifestRecord m;
    m.digest = digest_n(n);
    m.media_type = std::string(oci::media_types::kOciManifest);
    m.content = "{\"image\":" + std::to_string(n) + "}";
    m.size = m.content.size();
    m.subject = subject;
    m.pushed_at_ms = kNow - static_cast<std::int64_t>(days_ago * kDayMs);
    PutManifestOptions options;
    options.allow_missing_blobs = true;
    for (auto& t : tags) options.tags.push_back({t, false});
    std::vector<ManifestReference> refs = {{digest_n(1000 + n), ReferenceKind::kBlob, 10}};
    ASSERT_TRUE(meta_->put_manifest(repo_id_, m, refs, options));
  }

  void push_index(int n, std::vector<int> children, std::vector<std::string> tags, double days_ago) {
    json::array manifests;
    std::vector<ManifestReference> refs;
    for (int c : children) {
      manifests.push_back({{"mediaType", oci::media_types::kOciManifest},
                           {"digest", digest_n(c).str()},
                           {"size", 10}});
      refs.push_back({digest_n(c), ReferenceKind::kManifest, 10});
    }
    ManifestRecord m;
    m.digest = digest_n(n);
    m.media_type = std::string(oci::media_types::kOciIndex);
    m.content = json::serialize(json::object{{"schemaVersion", 2},
                                             {"mediaType", oci::media_types::kOciIndex},
                                             {"manifests", std::move(manifests)}});
    m.size = m.content.size();
    m.pushed_at_ms = kNow - static_cast<std::int64_t>(days_ago * kDayMs);
    PutManifestOptions options;
    for (auto& t : tags) options.tags.push_back({t, false});
    ASSERT_TRUE(meta_->put_manifest(repo_id_, m, refs, options));
  }

  void set_policy(const std::string& text) {
    ASSERT_TRUE(meta_->modify_repository_settings(repo_id_, [&](const std::string&) {
      return Result<std::string>(json::serialize(json::object{{"lifecyclePolicy", text}}));
    }));
  }

  bool exists(int n) { return meta_->get_manifest(repo_id_, digest_n(n)).has_value(); }
  storage::meta::StorageClass storage_class(int n) {
    return meta_->get_manifest(repo_id_, digest_n(n))->storage_class;
  }

  LifecycleReport run(bool apply, std::int64_t now = kNow) {
    LifecycleOptions options;
    options.apply = apply;
    options.now_ms = now;
    auto report = LifecycleRunner(core_, *meta_, options).run();
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : LifecycleReport{};
  }

  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  boost::asio::thread_pool pool_{1};
  registry::Registry core_;
  storage::meta::RepositoryId repo_id_ = 0;
};

constexpr const char* kKeepOneUntaggedArchiveOldTagged = R"({"rules":[
  {"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},
   "action":{"type":"expire"}},
  {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"sinceImagePushed",
   "countUnit":"days","countNumber":30},"action":{"type":"transition","targetStorageClass":"archive"}}]})";

TEST_F(RunnerTest, ADryRunReportsAndAnAppliedRunActs) {
  push(1, {}, 10);
  push(2, {}, 5);
  push(3, {"v1"}, 40);
  push(4, {"v2"}, 2);
  push(5, {}, 50, digest_n(1));  // a signature of image 1
  set_policy(kKeepOneUntaggedArchiveOldTagged);

  LifecycleReport dry = run(false);
  EXPECT_TRUE(dry.ran);
  EXPECT_FALSE(dry.applied);
  EXPECT_EQ(dry.repositories, 1u);
  EXPECT_EQ(dry.expired, 1u);
  EXPECT_EQ(dry.transitioned, 1u);
  ASSERT_EQ(dry.outcomes.size(), 1u);
  ASSERT_EQ(dry.outcomes[0].actions.size(), 2u);
  EXPECT_EQ(dry.outcomes[0].actions[0].digest, digest_n(3).str());  // oldest first
  EXPECT_EQ(dry.outcomes[0].actions[0].type, ActionType::kTransition);
  EXPECT_EQ(dry.outcomes[0].actions[0].tags, std::vector<std::string>{"v1"});
  EXPECT_EQ(dry.outcomes[0].actions[1].digest, digest_n(1).str());
  EXPECT_TRUE(exists(1));
  EXPECT_EQ(storage_class(3), StorageClass::kStandard);
  EXPECT_EQ(json::parse(meta_->get_repository(kRepo.registry, kRepo.name)->settings_json)
                .as_object()
                .if_contains("lifecyclePolicyEvaluatedAt"),
            nullptr);  // a dry run is not an evaluation

  LifecycleReport applied = run(true);
  EXPECT_TRUE(applied.applied);
  EXPECT_EQ(applied.expired, 1u);
  EXPECT_EQ(applied.transitioned, 1u);
  EXPECT_EQ(applied.skipped, 0u);
  EXPECT_FALSE(exists(1));
  EXPECT_FALSE(exists(5));  // the signature went with its subject
  EXPECT_TRUE(exists(2));
  EXPECT_EQ(storage_class(3), StorageClass::kArchive);
  EXPECT_EQ(meta_->get_manifest(repo_id_, digest_n(3))->last_archived_at_ms, kNow);
  EXPECT_EQ(storage_class(4), StorageClass::kStandard);
  auto settings = json::parse(meta_->get_repository(kRepo.registry, kRepo.name)->settings_json);
  EXPECT_EQ(settings.at("lifecyclePolicyEvaluatedAt").as_int64(), kNow);
  // The expired image's blob waits for the collector.
  auto due = meta_->due_blob_reviews(std::numeric_limits<std::int64_t>::max(), "", 100);
  ASSERT_TRUE(due);
  bool queued = false;
  for (const auto& review : *due) queued |= review.digest == digest_n(1001);
  EXPECT_TRUE(queued);

  LifecycleReport again = run(true, kNow + 1000);
  EXPECT_EQ(again.expired + again.transitioned, 0u);
  EXPECT_TRUE(again.outcomes.empty());
}

TEST_F(RunnerTest, ChildrenWaitForTheirIndexThenGoOnTheNextRun) {
  push(1, {}, 20);
  push(2, {}, 20);
  push_index(3, {1, 2}, {"v1"}, 20);
  push(4, {"v2"}, 1);
  set_policy(R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan",
     "countNumber":1},"action":{"type":"expire"}},
    {"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days",
     "countNumber":7},"action":{"type":"expire"}}]})");
  LifecycleReport first = run(true);
  EXPECT_EQ(first.expired, 1u);  // the index only
  EXPECT_FALSE(exists(3));
  EXPECT_TRUE(exists(1));
  EXPECT_TRUE(exists(2));
  LifecycleReport second = run(true, kNow + 3600'000);
  EXPECT_EQ(second.expired, 2u);
  EXPECT_FALSE(exists(1));
  EXPECT_FALSE(exists(2));
  EXPECT_TRUE(exists(4));
}

TEST_F(RunnerTest, AnActionIsSkippedWhenTheImageChangedSinceItsEvaluation) {
  push(1, {"old"}, 20);
  auto tags = [](std::vector<std::string> t) {
    return registry::ImageExpectation{std::move(t), StorageClass::kStandard};
  };
  // A tag pushed meanwhile saves it.
  ASSERT_TRUE(meta_->put_tag(repo_id_, "new", digest_n(1), false));
  auto expired = core_.expire_image(kRepo, digest_n(1), tags({"old"}));
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);
  EXPECT_TRUE(exists(1));
  // So does archiving it meanwhile.
  ASSERT_TRUE(meta_->set_storage_class(repo_id_, digest_n(1), StorageClass::kArchive, kNow));
  EXPECT_FALSE(*core_.expire_image(kRepo, digest_n(1), tags({"new", "old"})));
  EXPECT_FALSE(*core_.archive_image(kRepo, digest_n(1), tags({"new", "old"}), kNow));
  // Gone already: nothing to do, no error.
  EXPECT_FALSE(*core_.expire_image(kRepo, digest_n(77), tags({})));
  // As expected: done.
  EXPECT_TRUE(*core_.expire_image(kRepo, digest_n(1),
                                  registry::ImageExpectation{{"new", "old"}, StorageClass::kArchive}));
  EXPECT_FALSE(exists(1));
}

TEST_F(RunnerTest, AnotherHolderOfTheLeaseMeansNoRun) {
  push(1, {}, 20);
  push(2, {}, 10);
  set_policy(R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",
    "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})");
  ASSERT_TRUE(*meta_->acquire_job_lease("lifecycle", "someone-else", kNow, 3600'000'000));
  LifecycleReport report = run(true);
  EXPECT_FALSE(report.ran);
  EXPECT_TRUE(exists(1));
  ASSERT_TRUE(meta_->release_job_lease("lifecycle", "someone-else"));
  EXPECT_TRUE(run(true).ran);
  EXPECT_FALSE(exists(1));
}

TEST_F(RunnerTest, AStoredPolicyThatNoLongerParsesIsAFailureOfItsRepositoryOnly) {
  push(1, {}, 20);
  set_policy("{\"rules\":[]}");
  auto other = *meta_->ensure_repository(kRepo.registry, "team/other", kNow);
  ASSERT_TRUE(meta_->modify_repository_settings(other.id, [](const std::string&) {
    return Result<std::string>(json::serialize(json::object{{"lifecyclePolicy",
        R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})"}}));
  }));
  LifecycleReport report = run(true);
  EXPECT_EQ(report.repositories, 2u);
  EXPECT_EQ(report.errors, 1u);
  EXPECT_NE(report.first_error.find("team/app"), std::string::npos);
  EXPECT_TRUE(exists(1));
}

TEST_F(RunnerTest, RestoresReadAsActivatingThenActive) {
  push(1, {"v1"}, 20);
  auto archived = core_.update_storage_class(kRepo, oci::Reference::of_tag("v1"),
                                             StorageClass::kArchive);
  ASSERT_TRUE(archived);
  const std::int64_t now = now_ms();
  EXPECT_EQ(registry::image_status(*archived, now), registry::ImageStatus::kArchived);
  EXPECT_EQ(core_.pull_manifest(kRepo, oci::Reference::of_tag("v1"), true).error().code,
            ErrorCode::kImageArchived);
  auto restoring = core_.update_storage_class(kRepo, oci::Reference::of_tag("v1"),
                                              StorageClass::kStandard);
  ASSERT_TRUE(restoring);
  EXPECT_EQ(registry::image_status(*restoring, now), registry::ImageStatus::kActivating);
  EXPECT_EQ(core_.pull_manifest(kRepo, oci::Reference::of_tag("v1"), true).error().code,
            ErrorCode::kImageArchived);
  EXPECT_EQ(core_.update_storage_class(kRepo, oci::Reference::of_tag("v1"), StorageClass::kArchive)
                .error()
                .code,
            ErrorCode::kUnsupported);
  EXPECT_EQ(registry::image_status(*restoring, restoring->last_activated_at_ms),
            registry::ImageStatus::kActive);
  EXPECT_GE(restoring->last_activated_at_ms - now, registry::kRestoreDuration.count() - 1000);
}

}  // namespace
}  // namespace berth::lifecycle
