#include "oci/digest.hpp"

#include <unordered_set>

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

const std::string kSha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kSha512Hex =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

void expect_invalid(std::string_view text) {
  auto r = Digest::parse(text);
  ASSERT_FALSE(r.has_value()) << "accepted " << text;
  EXPECT_EQ(r.error().code, ErrorCode::kDigestInvalid) << text;
  EXPECT_FALSE(r.error().message.empty());
}

TEST(Digest, ParsesSha256) {
  auto d = Digest::parse("sha256:" + kSha256Hex);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->algorithm(), DigestAlgorithm::kSha256);
  EXPECT_EQ(d->hex(), kSha256Hex);
  EXPECT_EQ(d->str(), "sha256:" + kSha256Hex);
  EXPECT_FALSE(d->empty());
}

TEST(Digest, ParsesSha512) {
  auto d = Digest::parse("sha512:" + kSha512Hex);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->algorithm(), DigestAlgorithm::kSha512);
  EXPECT_EQ(d->hex(), kSha512Hex);
}

TEST(Digest, AlgorithmNamesAndLengths) {
  EXPECT_EQ(algorithm_name(DigestAlgorithm::kSha256), "sha256");
  EXPECT_EQ(algorithm_name(DigestAlgorithm::kSha512), "sha512");
  EXPECT_EQ(hex_length(DigestAlgorithm::kSha256), 64u);
  EXPECT_EQ(hex_length(DigestAlgorithm::kSha512), 128u);
}

TEST(Digest, RejectsUppercaseHex) {
  std::string upper = kSha256Hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  expect_invalid("sha256:" + upper);
  std::string one_upper = kSha256Hex;
  one_upper[10] = 'C';
  expect_invalid("sha256:" + one_upper);
}

TEST(Digest, RejectsWrongLength) {
  expect_invalid("sha256:" + kSha256Hex.substr(1));
  expect_invalid("sha256:" + kSha256Hex + "0");
  expect_invalid("sha512:" + kSha256Hex);  // sha256-length under sha512
  expect_invalid("sha256:" + kSha512Hex);
  auto r = Digest::parse("sha256:abc");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("64"), std::string::npos) << r.error().message;
}

TEST(Digest, RejectsNonHexInTheRightLength) {
  std::string bad = kSha256Hex;
  bad[0] = 'g';
  expect_invalid("sha256:" + bad);
}

TEST(Digest, RejectsUnknownAlgorithm) {
  auto r = Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDigestInvalid);
  EXPECT_NE(r.error().message.find("unsupported"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("md5"), std::string::npos) << r.error().message;
  expect_invalid("sha384:" + kSha256Hex);
  expect_invalid("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8");
}

TEST(Digest, RejectsMalformed) {
  expect_invalid("");
  expect_invalid("sha256");                 // missing colon
  expect_invalid(kSha256Hex);               // hex only
  expect_invalid("sha256:");                // empty encoded
  expect_invalid(":" + kSha256Hex);         // empty algorithm
  expect_invalid("SHA256:" + kSha256Hex);   // uppercase algorithm
  expect_invalid("sha256::" + kSha256Hex);  // doubled colon
  expect_invalid("sha256 :" + kSha256Hex);
  expect_invalid("sha256:" + kSha256Hex + "\n");
  expect_invalid("sha256:" + kSha256Hex.substr(0, 63) + "/");
  expect_invalid("sha256:../../" + kSha256Hex.substr(6));
}

TEST(Digest, FromHexMatchesParse) {
  auto parsed = Digest::parse("sha256:" + kSha256Hex);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(Digest::from_hex(DigestAlgorithm::kSha256, kSha256Hex), *parsed);
}

TEST(Digest, DefaultIsEmptyAndOrderingIsTextual) {
  Digest empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.hex(), "");
  auto a = Digest::from_hex(DigestAlgorithm::kSha256, std::string(64, 'a'));
  auto b = Digest::from_hex(DigestAlgorithm::kSha256, std::string(64, 'b'));
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  std::unordered_set<Digest> set{a, b, a};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace berth::oci
