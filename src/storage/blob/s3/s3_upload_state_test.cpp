#include <gtest/gtest.h>

#include "storage/blob/s3/s3_keys.hpp"
#include "storage/blob/s3/s3_upload_state.hpp"

namespace berth::storage::blob::s3 {
namespace {

S3UploadState sample() {
  S3UploadState state;
  state.started_at_ns = 1796456237123456789;
  const std::string bytes(10 + 3 + 4, 'x');
  state.sha256.update(bytes);
  state.size = bytes.size();
  state.multipart_id = "2~AbC-dEf/+=";
  state.parts = {{1, 5, "\"e1\""}, {2, 5, "\"e2\""}};
  state.segments = {{10, 3}, {13, 4}};
  return state;
}

TEST(S3UploadState, RoundTrips) {
  const S3UploadState state = sample();
  auto decoded = decode_s3_upload_state(encode_s3_upload_state(state));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().detail;
  EXPECT_EQ(decoded->started_at_ns, state.started_at_ns);
  EXPECT_EQ(decoded->size, state.size);
  EXPECT_EQ(decoded->sha256.hex_digest(), state.sha256.hex_digest());
  EXPECT_EQ(decoded->multipart_id, state.multipart_id);
  EXPECT_EQ(decoded->parts, state.parts);
  EXPECT_EQ(decoded->segments, state.segments);
  EXPECT_EQ(decoded->parts_size(), 10u);

  S3UploadState empty;
  auto fresh = decode_s3_upload_state(encode_s3_upload_state(empty));
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->size, 0u);
  EXPECT_TRUE(fresh->multipart_id.empty());
}

TEST(S3UploadState, RefusesWhatDoesNotAddUp) {
  const std::string good = encode_s3_upload_state(sample());
  auto refused = [](std::string text) {
    auto decoded = decode_s3_upload_state(text);
    return !decoded && decoded.error().code == ErrorCode::kCorruption;
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1)));      // torn
  EXPECT_TRUE(refused("x" + good));                           // not ours
  EXPECT_TRUE(refused(good + "bogus 1\n"));                   // unknown field
  EXPECT_TRUE(refused(good + "segment 17 1\n"));              // past the size
  EXPECT_TRUE(refused(good + "part 3 5 e\n"));                // parts after segments overlap
  S3UploadState gap = sample();
  gap.segments = {{11, 2}, {13, 4}};
  EXPECT_TRUE(refused(encode_s3_upload_state(gap)));
  S3UploadState orphan_parts = sample();
  orphan_parts.multipart_id.clear();
  EXPECT_TRUE(refused(encode_s3_upload_state(orphan_parts)));
  S3UploadState wrong_hash = sample();
  wrong_hash.sha256.update("more");
  EXPECT_TRUE(refused(encode_s3_upload_state(wrong_hash)));
}

TEST(S3Keys, LayoutUnderAPrefix) {
  S3Keys keys("team/registry");
  auto digest = oci::Digest::parse(
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ASSERT_TRUE(digest.has_value());
  const std::string key = keys.blob(*digest);
  EXPECT_EQ(key,
            "team/registry/blobs/sha256/e3/"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(keys.blob_digest(key), *digest);
  EXPECT_FALSE(keys.blob_digest("team/registry/blobs/sha256/ff/" + std::string(digest->hex())).has_value());
  EXPECT_FALSE(keys.blob_digest("team/registry/blobs/md5/e3/x").has_value());
  EXPECT_FALSE(keys.blob_digest("other/blobs/sha256/e3/" + std::string(digest->hex())).has_value());

  auto id = UploadId::parse("abc-123");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(keys.upload_state(*id), "team/registry/uploads/abc-123/state");
  EXPECT_EQ(keys.upload_data(*id), "team/registry/uploads/abc-123/data");
  EXPECT_EQ(keys.upload_tail(*id, 5, 17),
            "team/registry/uploads/abc-123/tail/00000000000000000005-00000000000000000017");
  EXPECT_EQ(keys.upload_id_of_prefix("team/registry/uploads/abc-123/"), *id);
  EXPECT_FALSE(keys.upload_id_of_prefix("team/registry/uploads/a.b/").has_value());

  S3Keys bare("");
  EXPECT_EQ(bare.blobs_prefix(), "blobs/");
  EXPECT_EQ(bare.upload_state(*id), "uploads/abc-123/state");
}

}  // namespace
}  // namespace berth::storage::blob::s3
