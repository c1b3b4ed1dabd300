#include "registry/registry.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "crypto/hasher.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::registry {
namespace {

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_) {}

  // Pushes a blob through an upload session, as a client would.
  oci::Digest push_blob(const RepositoryRef& repo, std::string_view bytes) {
    auto started = registry_.begin_upload(repo);
    EXPECT_TRUE(started.has_value());
    auto writer = registry_.checkout_upload(repo, started->id);
    EXPECT_TRUE(writer.has_value());
    EXPECT_TRUE((*writer)->append({bytes.data(), bytes.size()}).has_value());
    auto digest = sha256_of(bytes);
    auto done = registry_.finish_upload(repo, std::move(*writer), digest);
    EXPECT_TRUE(done.has_value()) << (done ? "" : done.error().message);
    return digest;
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

  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  Registry registry_;
  RepositoryRef repo_{"123456789012:us-east-1", "team/app"};
};

TEST_F(RegistryTest, UploadedBlobIsLinkedAndReadable) {
  auto digest = push_blob(repo_, "hello blob");
  auto info = registry_.stat_blob(repo_, digest);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 10u);
  auto reader = registry_.open_blob(repo_, digest, 6);
  ASSERT_TRUE(reader.has_value());
  char buf[16];
  auto n = (*reader)->read(buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(std::string(buf, *n), "blob");
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
  auto writer = registry_.checkout_upload(repo_, started->id);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->append({"abc", 3}).has_value());
  auto wrong = sha256_of("abd");
  auto done = registry_.finish_upload(repo_, std::move(*writer), wrong);
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, ErrorCode::kDigestMismatch);
  EXPECT_EQ(registry_.stat_blob(repo_, wrong).error().code, ErrorCode::kBlobNotFound);
  EXPECT_EQ(registry_.upload_status(repo_, started->id).error().code, ErrorCode::kUploadNotFound);
}

TEST_F(RegistryTest, ChunksResumeAcrossCheckins) {
  auto started = registry_.begin_upload(repo_);
  ASSERT_TRUE(started.has_value());
  for (std::string_view chunk : {"first,", "second,", "third"}) {
    auto writer = registry_.checkout_upload(repo_, started->id);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->append({chunk.data(), chunk.size()}).has_value());
    ASSERT_TRUE(registry_.checkin_upload(std::move(*writer)).has_value());
  }
  EXPECT_EQ(registry_.upload_status(repo_, started->id)->size, 18u);
  auto writer = registry_.checkout_upload(repo_, started->id);
  ASSERT_TRUE(writer.has_value());
  auto done = registry_.finish_upload(repo_, std::move(*writer), sha256_of("first,second,third"));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->size, 18u);
}

TEST_F(RegistryTest, ConcurrentCheckoutOfOneUploadIsRefused) {
  auto started = registry_.begin_upload(repo_);
  auto first = registry_.checkout_upload(repo_, started->id);
  ASSERT_TRUE(first.has_value());
  auto second = registry_.checkout_upload(repo_, started->id);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kRangeInvalid);
  registry_.release_upload(std::move(*first));
  EXPECT_TRUE(registry_.checkout_upload(repo_, started->id).has_value());
}

TEST_F(RegistryTest, UploadOfAnotherRepositoryIsNotFound) {
  auto started = registry_.begin_upload(repo_);
  RepositoryRef other{repo_.registry, "other"};
  ASSERT_TRUE(registry_.begin_upload(other).has_value());
  EXPECT_EQ(registry_.upload_status(other, started->id).error().code,
            ErrorCode::kUploadNotFound);
  EXPECT_EQ(registry_.checkout_upload(other, started->id).error().code,
            ErrorCode::kUploadNotFound);
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
