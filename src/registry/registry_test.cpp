#include "registry/registry.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <future>

#include <thread>

#include "crypto/hasher.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::registry {
namespace {

using testing::append_chunk;
using testing::commit_upload;
using testing::run_sync;
using testing::sha256_of;

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_) {}
  ~RegistryTest() override { pool_.join(); }

  // Pushes a blob through an upload session, as a client would.
  oci::Digest push_blob(const RepositoryRef& repo, std::string_view bytes) {
    auto done = testing::push_blob(registry_, repo, bytes);
    EXPECT_TRUE(done.has_value()) << (done ? "" : done.error().message);
    return sha256_of(bytes);
  }

  std::string image_manifest(const oci::Digest& config, std::size_t config_size,
                             const oci::Digest& layer, std::size_t layer_size,
                             std::string extra = "") {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
           config.str() + R"(","size":)" + std::to_string(config_size) +
           R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
           layer.str() + R"(","size":)" + std::to_string(layer_size) + "}]" + extra + "}";
  }

  std::string pushed_image(const RepositoryRef& repo, std::string_view salt) {
    std::string config = std::string(R"({"architecture":"amd64","os":"linux","salt":")") +
                         std::string(salt) + "\"}";
    std::string layer = "layer bytes " + std::string(salt);
    auto c = push_blob(repo, config);
    auto l = push_blob(repo, layer);
    return image_manifest(c, config.size(), l, layer.size());
  }

  boost::asio::thread_pool pool_{1};
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  Registry registry_;
  RepositoryRef repo_{"123456789012:us-east-1", "team/app"};
};

TEST_F(RegistryTest, UploadedBlobIsLinkedAndReadableAsAStream) {
  auto digest = push_blob(repo_, "hello blob");
  auto info = registry_.stat_blob(repo_, digest);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 10u);
  auto content = run_sync(registry_.read_blob(repo_, digest, 6, 4));
  ASSERT_TRUE(content.has_value()) << content.error().message;
  // The memory store has no descriptor: the bytes come as a stream.
  ASSERT_FALSE(content->file.has_value());
  ASSERT_NE(content->stream, nullptr);
  EXPECT_EQ(content->stream->length(), 4u);
  std::string got;
  for (;;) {
    char buf[3];
    auto n = run_sync(content->stream->read_some(buf));
    ASSERT_TRUE(n.has_value());
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_EQ(got, "blob");
  auto past = run_sync(registry_.read_blob(repo_, digest, 8, 4));
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error().code, ErrorCode::kRangeInvalid);
}

TEST_F(RegistryTest, BlobIsInvisibleInOtherRepositoryUntilMounted) {
  auto digest = push_blob(repo_, "shared layer");
  RepositoryRef other{repo_.registry, "other"};
  ASSERT_TRUE(registry_.begin_upload(other).has_value());  // creates the repository
  auto hidden = registry_.stat_blob(other, digest);
  ASSERT_FALSE(hidden.has_value());
  EXPECT_EQ(hidden.error().code, ErrorCode::kBlobNotFound);
  ASSERT_TRUE(registry_.mount_blob(other, repo_, digest).has_value());
  EXPECT_TRUE(registry_.stat_blob(other, digest).has_value());
  auto missing = registry_.mount_blob(other, repo_, sha256_of("nope"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kBlobNotFound);
}

TEST_F(RegistryTest, DigestMismatchStoresNothingAndDiscardsUpload) {
  auto started = registry_.begin_upload(repo_);
  ASSERT_TRUE(started.has_value());
  ASSERT_TRUE(append_chunk(registry_, repo_, started->id, "abc").has_value());
  auto wrong = sha256_of("abd");
  auto done = commit_upload(registry_, repo_, started->id, wrong);
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, ErrorCode::kDigestMismatch);
  EXPECT_EQ(registry_.stat_blob(repo_, wrong).error().code, ErrorCode::kBlobNotFound);
  EXPECT_EQ(registry_.upload_status(repo_, started->id).error().code, ErrorCode::kUploadNotFound);
}

TEST_F(RegistryTest, ChunksResumeAcrossSaves) {
  auto started = registry_.begin_upload(repo_);
  ASSERT_TRUE(started.has_value());
  for (std::string_view chunk : {"first,", "second,", "third"}) {
    ASSERT_TRUE(append_chunk(registry_, repo_, started->id, chunk).has_value());
  }
  EXPECT_EQ(registry_.upload_status(repo_, started->id)->size, 18u);
  auto done = commit_upload(registry_, repo_, started->id, sha256_of("first,second,third"));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->size, 18u);
}

TEST_F(RegistryTest, ReleasedAppendsAreForgottenAndTheUploadIsFreeAtOnce) {
  auto started = registry_.begin_upload(repo_);
  ASSERT_TRUE(append_chunk(registry_, repo_, started->id, "kept,").has_value());
  run_sync([&]() -> boost::asio::awaitable<void> {
    auto session = co_await registry_.open_upload(repo_, started->id);
    EXPECT_TRUE(session.has_value());
    EXPECT_TRUE(co_await (*session)->append(std::span<const char>("lost", 4)));
    co_await (*session)->release();
    // Free now, not after the lease expires.
    auto again = co_await registry_.open_upload(repo_, started->id);
    EXPECT_TRUE(again.has_value());
    if (again) {
      EXPECT_EQ((*again)->size(), 5u);
    }
  }());
  auto done = commit_upload(registry_, repo_, started->id, sha256_of("kept,"));
  ASSERT_TRUE(done.has_value()) << done.error().message;
}

TEST_F(RegistryTest, ADroppedSessionGivesItsLeaseBackOnThePool) {
  auto started = registry_.begin_upload(repo_);
  run_sync([&]() -> boost::asio::awaitable<void> {
    auto session = co_await registry_.open_upload(repo_, started->id);
    EXPECT_TRUE(session.has_value());
  }());
  // The pool has one thread: a task posted now runs after the release.
  std::promise<void> drained;
  boost::asio::post(pool_, [&] { drained.set_value(); });
  drained.get_future().wait();
  EXPECT_TRUE(commit_upload(registry_, repo_, started->id, sha256_of("")).has_value());
}

TEST_F(RegistryTest, ASecondOpenOfOneUploadIsRefusedUntilTheFirstEnds) {
  auto started = registry_.begin_upload(repo_);
  run_sync([&]() -> boost::asio::awaitable<void> {
    auto first = co_await registry_.open_upload(repo_, started->id);
    EXPECT_TRUE(first.has_value());
    auto second = co_await registry_.open_upload(repo_, started->id);
    EXPECT_FALSE(second.has_value());
    if (!second) {
      EXPECT_EQ(second.error().code, ErrorCode::kRangeInvalid);
    }
    EXPECT_TRUE(co_await (*first)->save());
    auto third = co_await registry_.open_upload(repo_, started->id);
    EXPECT_TRUE(third.has_value());
  }());
}

TEST_F(RegistryTest, CancelWhileARequestWritesMakesItsSaveFail) {
  auto started = registry_.begin_upload(repo_);
  run_sync([&]() -> boost::asio::awaitable<void> {
    auto session = co_await registry_.open_upload(repo_, started->id);
    EXPECT_TRUE(session.has_value());
    EXPECT_TRUE(co_await (*session)->append(std::span<const char>("abc", 3)));
    EXPECT_TRUE(registry_.cancel_upload(repo_, started->id).has_value());
    auto saved = co_await (*session)->save();
    EXPECT_FALSE(saved.has_value());
    if (!saved) {
      EXPECT_EQ(saved.error().code, ErrorCode::kUploadNotFound);
    }
  }());
  EXPECT_EQ(registry_.upload_status(repo_, started->id).error().code, ErrorCode::kUploadNotFound);
}

TEST_F(RegistryTest, UploadOfAnotherRepositoryIsNotFound) {
  auto started = registry_.begin_upload(repo_);
  RepositoryRef other{repo_.registry, "other"};
  ASSERT_TRUE(registry_.begin_upload(other).has_value());
  EXPECT_EQ(registry_.upload_status(other, started->id).error().code,
            ErrorCode::kUploadNotFound);
  auto opened = run_sync(registry_.open_upload(other, started->id));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kUploadNotFound);
}

TEST_F(RegistryTest, ManifestRoundTripsByteExactByTagAndDigest) {
  std::string manifest = pushed_image(repo_, "a");
  auto put = registry_.put_manifest(
      repo_, {oci::Reference::of_tag("v1"), manifest, "application/vnd.oci.image.manifest.v1+json"});
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(put->digest, sha256_of(manifest));
  auto by_tag = registry_.get_manifest(repo_, oci::Reference::of_tag("v1"), true);
  ASSERT_TRUE(by_tag.has_value());
  EXPECT_EQ(by_tag->content, manifest);
  EXPECT_GT(by_tag->last_pulled_at_ms, 0);
  auto by_digest = registry_.get_manifest(repo_, oci::Reference::of_digest(put->digest), false);
  ASSERT_TRUE(by_digest.has_value());
  EXPECT_EQ(by_digest->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_GT(by_digest->image_size, manifest.size());
}

TEST_F(RegistryTest, PullTimesReachListingsWithoutWaitingForTheFlush) {
  std::string manifest = pushed_image(repo_, "pulled");
  auto put = registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), manifest, ""});
  ASSERT_TRUE(put.has_value());
  auto before = registry_.list_images(repo_, "", 10);
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ((*before)[0].manifest.last_pulled_at_ms, 0);
  auto pulled = registry_.get_manifest(repo_, oci::Reference::of_tag("v1"), true);
  ASSERT_TRUE(pulled.has_value());
  auto after = registry_.list_images(repo_, "", 10);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ((*after)[0].manifest.last_pulled_at_ms, pulled->last_pulled_at_ms);
  EXPECT_GT((*after)[0].manifest.last_pulled_at_ms, 0);
}

TEST_F(RegistryTest, ConcurrentSettingChangesAreAllKept) {
  ASSERT_TRUE(registry_.create_repository(repo_, "{}"));
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&, i] {
      auto changed = registry_.modify_repository_settings(
          repo_, [i](const std::string& current) -> Result<std::string> {
            std::string key = "\"k" + std::to_string(i) + "\":1";
            return current == "{}" ? "{" + key + "}" : current.substr(0, current.size() - 1) + "," + key + "}";
          });
      EXPECT_TRUE(changed.has_value());
    });
  }
  for (auto& t : writers) t.join();
  auto record = registry_.repository(repo_);
  ASSERT_TRUE(record.has_value());
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(record->settings_json.find("\"k" + std::to_string(i) + "\""), std::string::npos)
        << record->settings_json;
  }
}

TEST_F(RegistryTest, ManifestNamingMissingBlobIsRefused) {
  auto config = push_blob(repo_, "{}");
  auto absent = sha256_of("never uploaded");
  std::string manifest = image_manifest(config, 2, absent, 14);
  auto put = registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), manifest, ""});
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kManifestBlobUnknown);
  EXPECT_EQ(registry_.get_manifest(repo_, oci::Reference::of_tag("v1"), false).error().code,
            ErrorCode::kManifestNotFound);
  PutManifestRequest lenient{oci::Reference::of_tag("v1"), manifest, ""};
  lenient.lenient_references = true;
  EXPECT_TRUE(registry_.put_manifest(repo_, lenient).has_value());
}

TEST_F(RegistryTest, DigestReferenceMustMatchBody) {
  std::string manifest = pushed_image(repo_, "b");
  auto put = registry_.put_manifest(
      repo_, {oci::Reference::of_digest(sha256_of("something else")), manifest, ""});
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kDigestMismatch);
}

TEST_F(RegistryTest, OversizedManifestIsRefused) {
  std::string manifest = pushed_image(repo_, "c");
  manifest.insert(manifest.size() - 1, ",\"annotations\":{\"pad\":\"" +
                                           std::string(4 * 1024 * 1024, 'x') + "\"}");
  auto put = registry_.put_manifest(repo_, {oci::Reference::of_tag("big"), manifest, ""});
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kLimitExceeded);
}

TEST_F(RegistryTest, IndexChildIsProtectedWhileIndexExists) {
  std::string child = pushed_image(repo_, "child");
  auto child_put = registry_.put_manifest(repo_, {oci::Reference::of_tag("child"), child, ""});
  ASSERT_TRUE(child_put.has_value());
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      child_put->digest.str() + R"(","size":)" + std::to_string(child.size()) +
      R"(,"platform":{"architecture":"amd64","os":"linux"}}]})";
  auto index_put = registry_.put_manifest(repo_, {oci::Reference::of_tag("multi"), index, ""});
  ASSERT_TRUE(index_put.has_value()) << index_put.error().message;

  auto refused = registry_.delete_manifest(repo_, oci::Reference::of_digest(child_put->digest));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kReferencedByIndex);
  ASSERT_TRUE(registry_.delete_manifest(repo_, oci::Reference::of_digest(index_put->digest)));
  EXPECT_TRUE(registry_.delete_manifest(repo_, oci::Reference::of_digest(child_put->digest)));
  EXPECT_EQ(registry_.get_manifest(repo_, oci::Reference::of_tag("child"), false).error().code,
            ErrorCode::kManifestNotFound);
}

TEST_F(RegistryTest, IndexWithMissingChildIsRefused) {
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      sha256_of("absent").str() + R"(","size":10}]})";
  auto put = registry_.put_manifest(repo_, {oci::Reference::of_tag("multi"), index, ""});
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kManifestBlobUnknown);
}

TEST_F(RegistryTest, DeletingTagKeepsManifest) {
  std::string manifest = pushed_image(repo_, "d");
  auto put = registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), manifest, ""});
  ASSERT_TRUE(put.has_value());
  ASSERT_TRUE(registry_.delete_manifest(repo_, oci::Reference::of_tag("v1")));
  EXPECT_EQ(registry_.get_manifest(repo_, oci::Reference::of_tag("v1"), false).error().code,
            ErrorCode::kManifestNotFound);
  EXPECT_TRUE(registry_.get_manifest(repo_, oci::Reference::of_digest(put->digest), false));
}

TEST_F(RegistryTest, ImmutableRepositoryRefusesToMoveTag) {
  auto record = meta_->ensure_repository(repo_.registry, repo_.name, 1);
  ASSERT_TRUE(record.has_value());
  ASSERT_TRUE(meta_->update_repository_settings(record->id, R"({"imageTagMutability":"IMMUTABLE"})"));
  std::string first = pushed_image(repo_, "e1");
  std::string second = pushed_image(repo_, "e2");
  ASSERT_TRUE(registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), first, ""}));
  // As ECR: even the same manifest is refused, in ECR's words.
  auto again = registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), first, ""});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kTagImmutable);
  EXPECT_NE(again.error().message.find("cannot be overwritten because the tag is immutable"),
            std::string::npos);
  auto moved = registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), second, ""});
  ASSERT_FALSE(moved.has_value());
  EXPECT_EQ(moved.error().code, ErrorCode::kTagImmutable);
  // By digest, without a tag, the same bytes are accepted.
  EXPECT_TRUE(registry_.put_manifest(
      repo_, {oci::Reference::of_digest(oci::Digest::from_hex(oci::DigestAlgorithm::kSha256,
                                                              crypto::sha256_hex(first))),
              first, ""}));
}

TEST_F(RegistryTest, ReferrersListAndFilterByArtifactType) {
  std::string subject = pushed_image(repo_, "subject");
  auto subject_put = registry_.put_manifest(repo_, {oci::Reference::of_tag("v1"), subject, ""});
  ASSERT_TRUE(subject_put.has_value());
  auto empty = push_blob(repo_, "{}");
  auto make_artifact = [&](std::string type) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("artifactType":")" + type + R"(","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
           empty.str() + R"(","size":2},"layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
           subject_put->digest.str() + R"(","size":)" + std::to_string(subject.size()) +
           R"(},"annotations":{"org.example":"yes"}})";
  };
  auto sig = registry_.put_manifest(
      repo_, {oci::Reference::of_digest(sha256_of(make_artifact("application/x-sig"))),
              make_artifact("application/x-sig"), ""});
  ASSERT_TRUE(sig.has_value()) << sig.error().message;
  ASSERT_TRUE(sig->subject.has_value());
  EXPECT_EQ(*sig->subject, subject_put->digest);
  ASSERT_TRUE(registry_.put_manifest(
      repo_, {oci::Reference::of_digest(sha256_of(make_artifact("application/x-sbom"))),
              make_artifact("application/x-sbom"), ""}));

  auto all = registry_.referrers(repo_, subject_put->digest, std::nullopt);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->manifests.size(), 2u);
  EXPECT_FALSE(all->filtered);
  auto sigs = registry_.referrers(repo_, subject_put->digest, "application/x-sig");
  ASSERT_TRUE(sigs.has_value());
  ASSERT_EQ(sigs->manifests.size(), 1u);
  EXPECT_TRUE(sigs->filtered);
  EXPECT_EQ(sigs->manifests[0].artifact_type, "application/x-sig");
  EXPECT_EQ(sigs->manifests[0].annotations.at("org.example"), "yes");
  auto none = registry_.referrers({repo_.registry, "nowhere"}, subject_put->digest, std::nullopt);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->manifests.empty());
}

TEST_F(RegistryTest, InvalidNameIsRefusedEverywhere) {
  RepositoryRef bad{repo_.registry, "Bad/Name"};
  EXPECT_EQ(registry_.begin_upload(bad).error().code, ErrorCode::kNameInvalid);
  EXPECT_EQ(registry_.list_tags(bad, "", 10).error().code, ErrorCode::kNameInvalid);
}

TEST_F(RegistryTest, CancelledUploadIsGone) {
  auto started = registry_.begin_upload(repo_);
  ASSERT_TRUE(registry_.cancel_upload(repo_, started->id));
  EXPECT_EQ(registry_.upload_status(repo_, started->id).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(registry_.cancel_upload(repo_, started->id).error().code, ErrorCode::kUploadNotFound);
}

}  // namespace
}  // namespace berth::registry
