#include "storage/blob/layout.hpp"

#include <gtest/gtest.h>

#include "crypto/hasher.hpp"

namespace berth::storage::blob {
namespace {

TEST(UploadId, AcceptsOnlyTheDocumentedAlphabet) {
  EXPECT_TRUE(UploadId::parse("a").has_value());
  EXPECT_TRUE(UploadId::parse("AZaz09-").has_value());
  EXPECT_TRUE(UploadId::parse(std::string(kMaxUploadIdLength, 'x')).has_value());
  for (std::string_view bad : {"", ".", "..", "../x", "a/b", "a.b", "a_b", "a b"}) {
    auto id = UploadId::parse(bad);
    ASSERT_FALSE(id.has_value()) << bad;
    EXPECT_EQ(id.error().code, ErrorCode::kUploadNotFound);
  }
  auto too_long = UploadId::parse(std::string(kMaxUploadIdLength + 1, 'x'));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, ErrorCode::kUploadNotFound);
}

TEST(Layout, BuildsTheDocumentedTree) {
  Layout layout("/srv/berth");
  std::string hex = crypto::sha256_hex("x");
  oci::Digest digest = oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, hex);
  EXPECT_EQ(layout.blob_path(digest).native(),
            "/srv/berth/blobs/sha256/" + hex.substr(0, 2) + "/" + hex);
  EXPECT_EQ(layout.blob_shard_dir(digest).native(), "/srv/berth/blobs/sha256/" + hex.substr(0, 2));
  std::string hex512 = crypto::sha512_hex("x");
  oci::Digest digest512 = oci::Digest::from_hex(oci::DigestAlgorithm::kSha512, hex512);
  EXPECT_EQ(layout.blob_path(digest512).native(),
            "/srv/berth/blobs/sha512/" + hex512.substr(0, 2) + "/" + hex512);

  UploadId id = *UploadId::parse("u-1");
  EXPECT_EQ(layout.upload_dir(id).native(), "/srv/berth/uploads/u-1");
  EXPECT_EQ(layout.upload_data_path(id).native(), "/srv/berth/uploads/u-1/data");
  EXPECT_EQ(layout.upload_state_path(id).native(), "/srv/berth/uploads/u-1/state");
  EXPECT_EQ(layout.upload_state_temp_path(id).native(), "/srv/berth/uploads/u-1/state.tmp");
  EXPECT_EQ(layout.upload_started_at_path(id).native(), "/srv/berth/uploads/u-1/startedat");
}

TEST(Layout, RecognisesOnlyEntriesItWrote) {
  std::string hex = crypto::sha256_hex("x");
  std::string shard = hex.substr(0, 2);
  auto alg = oci::DigestAlgorithm::kSha256;
  auto digest = Layout::blob_digest_from_entry(alg, shard, hex);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(digest->str(), "sha256:" + hex);
  EXPECT_FALSE(Layout::blob_digest_from_entry(alg, "zz", hex));           // wrong shard
  EXPECT_FALSE(Layout::blob_digest_from_entry(alg, shard, hex + ".tmp"));  // stray temp
  EXPECT_FALSE(Layout::blob_digest_from_entry(alg, shard, hex.substr(1)));
  std::string upper = hex;
  upper[5] = 'A';
  EXPECT_FALSE(Layout::blob_digest_from_entry(alg, shard, upper));
  EXPECT_FALSE(Layout::blob_digest_from_entry(oci::DigestAlgorithm::kSha512, shard, hex));
}

}  // namespace
}  // namespace berth::storage::blob
