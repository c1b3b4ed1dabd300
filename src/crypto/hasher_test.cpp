#include "crypto/hasher.hpp"

#include <gtest/gtest.h>

namespace berth::crypto {
namespace {

TEST(Hasher, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hasher, Sha512KnownVector) {
  EXPECT_EQ(sha512_hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Hasher, ExportImportResumesMidStream) {
  for (auto alg : {HashAlgorithm::kSha256, HashAlgorithm::kSha512}) {
    Hasher whole(alg);
    whole.update("hello, resumable world");
    Hasher first(alg);
    first.update("hello, ");
    auto resumed = Hasher::import_state(first.export_state());
    ASSERT_TRUE(resumed.has_value());
    resumed->update("resumable world");
    EXPECT_EQ(resumed->hex_digest(), whole.hex_digest());
    EXPECT_EQ(resumed->bytes_hashed(), whole.bytes_hashed());
  }
}

TEST(Hasher, ImportRejectsGarbage) {
  auto r = Hasher::import_state("not a state");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kCorruption);
}

TEST(Hasher, DigestCanBeTakenMidStream) {
  Hasher h(HashAlgorithm::kSha256);
  h.update("ab");
  (void)h.hex_digest();
  h.update("c");
  EXPECT_EQ(h.hex_digest(), sha256_hex("abc"));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Hmac, Rfc4231Case2) {
  auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : mac) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xf]);
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace berth::crypto
