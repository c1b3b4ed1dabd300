// S3-specific behaviour of the S3 blob store, beyond the shared conformance
// suite, against the store named by BERTH_TEST_S3_* (scripts/test-backends/
// rgw.sh; skipped without it, failed under BERTH_REQUIRE_BACKENDS=1): saves
// across part boundaries and many small saves, the leftovers of a crash
// between the commit's copy and its clean-up, and the start-up refusals.
#include <gtest/gtest.h>

#include <random>

#include "conformance/external_backend.hpp"
#include "crypto/hasher.hpp"
#include "storage/blob/s3/s3_address.hpp"
#include "storage/blob/s3/s3_blob_store.hpp"
#include "storage/blob/s3/s3_keys.hpp"
#include "storage/blob/s3/s3_objects.hpp"
#include "storage/blob/s3/s3_upload_state.hpp"

namespace berth::storage::blob::s3 {
namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

class S3BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string endpoint, access_key, secret_key;
    conformance::require_backend_env("BERTH_TEST_S3_ENDPOINT", "S3", &endpoint);
    if (IsSkipped() || HasFatalFailure()) return;
    conformance::require_backend_env("BERTH_TEST_S3_ACCESS_KEY", "S3", &access_key);
    conformance::require_backend_env("BERTH_TEST_S3_SECRET_KEY", "S3", &secret_key);
    if (IsSkipped() || HasFatalFailure()) return;
    auto parsed = parse_endpoint(endpoint);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    config_.endpoint = *parsed;
    config_.path_style = true;
    config_.bucket = "berth-s3-tests";
    std::random_device random;
    config_.prefix = "s" + std::to_string(random());
    config_.credential = {access_key, secret_key, std::nullopt};
    config_.part_size = kMinPartSize;
    auto store = open_s3_blob_store(config_, {.create_bucket = true});
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
  }

  // Every key under this test's prefix.
  std::vector<std::string> keys(const std::string& under = "") {
    S3Objects objects(config_);
    std::vector<std::string> out;
    auto listed = objects.list(config_.prefix + "/" + under, [&](const ListedObject& o) {
      out.push_back(o.key);
      return ok();
    });
    EXPECT_TRUE(listed.has_value());
    return out;
  }

  S3Config config_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(S3BlobStoreTest, SavesAcrossPartsAndManySmallSavesResume) {
  const std::string data = random_bytes(kMinPartSize + 3 * 1024 * 1024, 1);
  std::size_t at = 0;
  auto append_and_save = [&](std::size_t n) {
    auto writer = store_->resume_upload("chunks");
    ASSERT_TRUE(writer.has_value()) << writer.error().message;
    ASSERT_EQ((*writer)->size(), at);
    ASSERT_TRUE((*writer)->append(std::span<const char>(data.data() + at, n)).has_value());
    ASSERT_TRUE((*writer)->save_state().has_value());
    at += n;
  };
  ASSERT_TRUE(store_->begin_upload("chunks").has_value());
  append_and_save(3 * 1024 * 1024);
  append_and_save(3 * 1024 * 1024);  // crosses the part boundary
  for (int i = 0; i < 20; ++i) append_and_save(1000);  // many small saves
  // A bounded number of staged objects, whatever the number of saves.
  std::size_t tails = 0;
  for (const std::string& key : keys("uploads/chunks/tail/")) tails += key.size() > 0;
  EXPECT_LE(tails, 8u);
  append_and_save(data.size() - at);

  auto writer = store_->resume_upload("chunks");
  ASSERT_TRUE(writer.has_value());
  auto info = (*writer)->commit(sha256_of(data));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->size, data.size());
  auto reader = store_->open(sha256_of(data), kMinPartSize - 10);
  ASSERT_TRUE(reader.has_value());
  std::string tail(20, '\0');
  auto n = (*reader)->read(tail);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(tail.substr(0, *n), data.substr(kMinPartSize - 10, *n));
  EXPECT_TRUE(keys("uploads/").empty());
  EXPECT_TRUE(store_->remove(sha256_of(data)).has_value());
}

TEST_F(S3BlobStoreTest, LeftoversOfACrashAfterTheCopyAreACollectableUpload) {
  // What a crash between the commit's copy and its clean-up leaves: the
  // blob, and the upload's state and completed data.
  const std::string data = random_bytes(1000, 2);
  auto writer = store_->begin_upload("crashed");
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->append(data).has_value());
  ASSERT_TRUE((*writer)->save_state().has_value());
  S3Objects objects(config_);
  S3Keys keys_of(config_.prefix);
  auto id = UploadId::parse("crashed");
  ASSERT_TRUE(id.has_value());
  auto state = objects.get(keys_of.upload_state(*id), ErrorCode::kUploadNotFound);
  ASSERT_TRUE(state.has_value());
  ASSERT_TRUE((*writer)->commit(sha256_of(data)).has_value());
  ASSERT_TRUE(objects.put(keys_of.upload_state(*id), *state).has_value());
  ASSERT_TRUE(objects.put(keys_of.upload_data(*id), data).has_value());

  std::vector<std::string> uploads;
  ASSERT_TRUE(store_->walk_uploads([&](const UploadInfo& info) {
    uploads.push_back(info.id);
    return ok();
  }).has_value());
  EXPECT_EQ(uploads, std::vector<std::string>{"crashed"});
  ASSERT_TRUE(store_->abort_upload("crashed").has_value());
  EXPECT_TRUE(keys("uploads/").empty());
  auto stat = store_->stat(sha256_of(data));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->size, data.size());
  EXPECT_TRUE(store_->remove(sha256_of(data)).has_value());
}

TEST_F(S3BlobStoreTest, StartUpRefusalsNameTheProblem) {
  S3Config missing = config_;
  missing.bucket = "berth-absent-" + std::to_string(std::random_device()());
  auto absent = open_s3_blob_store(missing);
  ASSERT_FALSE(absent.has_value());
  EXPECT_NE(absent.error().message.find("does not exist"), std::string::npos)
      << absent.error().message;

  S3Config wrong = config_;
  wrong.credential.secret_access_key = "not-the-secret";
  auto refused = open_s3_blob_store(wrong);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("refused the credentials"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("not-the-secret"), std::string::npos);

  S3Config down = config_;
  down.endpoint.port = 1;  // nothing listens there
  down.max_attempts = 2;
  auto unreachable = open_s3_blob_store(down);
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(unreachable.error().message.find("did not answer"), std::string::npos)
      << unreachable.error().message;
  // A store whose endpoint went away answers kUnavailable, which the
  // protocols turn into 503 / ServerException.
  auto later = open_s3_blob_store(down, {.check_bucket = false});
  ASSERT_TRUE(later.has_value());
  auto stat = (*later)->stat(sha256_of("x"));
  ASSERT_FALSE(stat.has_value());
  EXPECT_EQ(stat.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace berth::storage::blob::s3
