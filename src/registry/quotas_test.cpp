// The quotas, through the Registry both front ends call.
#include "registry/quotas.hpp"

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>

#include "registry/registry.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::registry {
namespace {

using testing::sha256_of;

RegistryOptions with_quotas(Quotas quotas) {
  RegistryOptions options;
  options.quotas = quotas;
  return options;
}

class QuotasTest : public ::testing::Test {
 protected:
  explicit QuotasTest(Quotas quotas = {})
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_, with_quotas(quotas)) {}
  ~QuotasTest() override { pool_.join(); }

  Status push(const RepositoryRef& repo, std::string_view bytes) {
    auto done = testing::push_blob(registry_, repo, bytes);
    if (!done) return std::unexpected(done.error());
    return ok();
  }

  // An image of one config blob (distinct per salt) and no layers.
  Result<PutManifestResult> put_image(const RepositoryRef& repo, std::string_view salt) {
    const std::string config = "{\"salt\":\"" + std::string(salt) + "\"}";
    BERTH_TRY_STATUS(push(repo, config));
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
        sha256_of(config).str() + R"(","size":)" + std::to_string(config.size()) +
        R"(},"layers":[]})";
    PutManifestRequest request{oci::Reference::parse(std::string(salt)).value(), manifest,
                               "application/vnd.oci.image.manifest.v1+json"};
    return registry_.put_manifest(repo, request);
  }

  boost::asio::thread_pool pool_{1};
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  Registry registry_;
  const std::string registry_id_ = "123456789012:us-east-1";
};

template <typename R>
bool is_quota(const R& r) {
  return !r && r.error().code == ErrorCode::kQuotaExceeded;
}

class RepositoryQuota : public QuotasTest {
 protected:
  RepositoryQuota() : QuotasTest(Quotas{.max_repositories_per_registry = 2}) {}
};

TEST_F(RepositoryQuota, RefusesTheRepositoryPastTheQuotaOnEveryPath) {
  ASSERT_TRUE(registry_.create_repository({registry_id_, "a"}, "{}"));
  ASSERT_TRUE(push({registry_id_, "b"}, "blob"));  // created by a push
  auto created = registry_.create_repository({registry_id_, "c"}, "{}");
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_NE(created.error().message.find("'repositories per registry' of 2"), std::string::npos)
      << created.error().message;
  EXPECT_TRUE(is_quota(push({registry_id_, "c"}, "blob")));
  EXPECT_TRUE(is_quota(registry_.begin_upload({registry_id_, "c"})));
  // Nothing was left: still two repositories.
  EXPECT_EQ(meta_->count_repositories(registry_id_).value_or(0), 2u);
  // Existing repositories still work; an existing name is still AlreadyExists.
  EXPECT_TRUE(push({registry_id_, "a"}, "more"));
  auto again = registry_.create_repository({registry_id_, "a"}, "{}");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  // The quota is per registry.
  EXPECT_TRUE(registry_.create_repository({"other:us-east-1", "c"}, "{}"));
  // A deletion frees a slot.
  ASSERT_TRUE(registry_.delete_repository({registry_id_, "a"}, true));
  EXPECT_TRUE(registry_.create_repository({registry_id_, "c"}, "{}"));
}

class ImageQuota : public QuotasTest {
 protected:
  ImageQuota() : QuotasTest(Quotas{.max_images_per_repository = 2}) {}
};

TEST_F(ImageQuota, RefusesANewImageButNotARepushOrANewTag) {
  const RepositoryRef repo{registry_id_, "team/app"};
  ASSERT_TRUE(put_image(repo, "one"));
  auto two = put_image(repo, "two");
  ASSERT_TRUE(two);
  auto three = put_image(repo, "three");
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_NE(three.error().message.find("'images per repository' of 2"), std::string::npos);
  EXPECT_FALSE(registry_.get_manifest(repo, oci::Reference::parse("three").value(), false));
  // The same image again, and under another tag, takes no new slot.
  EXPECT_TRUE(put_image(repo, "two"));
  auto manifest = registry_.get_manifest(repo, oci::Reference::parse("two").value(), false);
  ASSERT_TRUE(manifest);
  PutManifestRequest retag{oci::Reference::parse("latest").value(), manifest->content,
                           manifest->media_type};
  EXPECT_TRUE(registry_.put_manifest(repo, retag));
  // A deletion frees a slot.
  ASSERT_TRUE(registry_.delete_manifest(repo, oci::Reference::parse(two->digest.str()).value()));
  EXPECT_TRUE(put_image(repo, "three"));
}

class StorageQuota : public QuotasTest {
 protected:
  StorageQuota() : QuotasTest(Quotas{.storage_quota_bytes = 10}) {}
};

TEST_F(StorageQuota, RefusesTheUploadThatWouldPassItAndLeavesNothing) {
  const RepositoryRef repo{registry_id_, "team/app"};
  ASSERT_TRUE(push(repo, "123456"));
  ASSERT_TRUE(push(repo, "123456"));  // linked already: no more room taken
  Status over = push(repo, "12345");  // 6 + 5 > 10
  ASSERT_TRUE(is_quota(over));
  EXPECT_NE(over.error().message.find("'storage bytes per registry' of 10"), std::string::npos);
  EXPECT_FALSE(registry_.stat_blob(repo, sha256_of("12345")));
  EXPECT_FALSE(blobs_->stat(sha256_of("12345")));  // never committed
  std::size_t uploads = 0;
  ASSERT_TRUE(meta_->walk_uploads([&](const auto&) {
    ++uploads;
    return ok();
  }));
  EXPECT_EQ(uploads, 0u);
  EXPECT_TRUE(push(repo, "1234"));  // exactly at the quota
  auto used = meta_->registry_storage(registry_id_, sha256_of("1234"));
  ASSERT_TRUE(used);
  EXPECT_EQ(used->bytes, 10u);
  EXPECT_TRUE(used->holds_digest);
  // A blob the registry holds already takes no room in another repository:
  // by mount and by upload alike.
  EXPECT_TRUE(registry_.mount_blob({registry_id_, "other"}, repo, sha256_of("1234")));
  EXPECT_TRUE(push({registry_id_, "third"}, "123456"));
  EXPECT_EQ(meta_->registry_storage(registry_id_, sha256_of("1234"))->bytes, 10u);
  EXPECT_TRUE(is_quota(push({registry_id_, "other"}, "x")));
  // The quota is per registry.
  EXPECT_TRUE(push({"other:us-east-1", "team/app"}, "12345"));
  // Room comes back when the registry's last link to a blob goes.
  ASSERT_TRUE(registry_.delete_blob(repo, sha256_of("123456")));
  EXPECT_TRUE(is_quota(push(repo, "x")));  // "third" still holds it
  ASSERT_TRUE(registry_.delete_blob({registry_id_, "third"}, sha256_of("123456")));
  EXPECT_TRUE(push(repo, "12345"));  // 4 + 5
}

TEST_F(StorageQuota, AMountFromAnotherRegistryTakesRoomAndARefusalLinksNothing) {
  const RepositoryRef source{"other:us-east-1", "src"};
  const RepositoryRef target{registry_id_, "team/app"};
  ASSERT_TRUE(push(source, "1234567"));
  ASSERT_TRUE(push(target, "12345"));
  EXPECT_TRUE(is_quota(registry_.mount_blob(target, source, sha256_of("1234567"))));  // 5 + 7
  EXPECT_FALSE(registry_.stat_blob(target, sha256_of("1234567")));
  EXPECT_TRUE(registry_.mount_blob({"other:us-east-1", "copy"}, source, sha256_of("1234567")));
}

class LayerPartsQuota : public QuotasTest {
 protected:
  LayerPartsQuota() : QuotasTest(Quotas{.max_layer_parts_per_upload = 2}) {}
};

TEST_F(LayerPartsQuota, RefusesThePartPastItAndKeepsTheUploadWhole) {
  const RepositoryRef repo{registry_id_, "team/app"};
  auto started = registry_.begin_upload(repo);
  ASSERT_TRUE(started) << started.error().message;
  const std::string& id = started->id;
  ASSERT_TRUE(testing::append_chunk(registry_, repo, id, "abc"));
  ASSERT_TRUE(testing::append_chunk(registry_, repo, id, ""));  // adds no part
  ASSERT_TRUE(testing::append_chunk(registry_, repo, id, "def"));
  auto third = testing::append_chunk(registry_, repo, id, "ghi");
  ASSERT_TRUE(is_quota(third));
  EXPECT_NE(third.error().message.find("'layer parts per upload' of 2"), std::string::npos);
  // The refused part was not written; what was saved can still be committed.
  auto status = registry_.upload_status(repo, id);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->size, 6u);
  EXPECT_TRUE(testing::commit_upload(registry_, repo, id, sha256_of("abcdef")));
  EXPECT_TRUE(registry_.stat_blob(repo, sha256_of("abcdef")));
  // Another upload starts at zero parts.
  EXPECT_TRUE(push(repo, "a whole blob in one part"));
}

TEST(QuotaDefaults, AreEcrsAndStorageIsOff) {
  Quotas quotas;
  EXPECT_EQ(quotas.max_repositories_per_registry, 100000u);
  EXPECT_EQ(quotas.max_images_per_repository, 100000u);
  EXPECT_EQ(quotas.max_layer_parts_per_upload, 4200u);
  EXPECT_EQ(quotas.storage_quota_bytes, 0u);
}

TEST(QuotaExceeded, NamesTheQuotaAndItsValue) {
  Error e = quota_exceeded("images per repository", 7, "team/app");
  EXPECT_EQ(e.code, ErrorCode::kQuotaExceeded);
  EXPECT_EQ(e.message,
            "The operation did not succeed because it would exceed the service quota "
            "'images per repository' of 7.");
  EXPECT_EQ(e.detail, "team/app");
}

}  // namespace
}  // namespace berth::registry
