#include "util/base64.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

// RFC 4648 section 10 test vectors.
struct Vector {
  std::string_view plain;
  std::string_view encoded;
};
constexpr Vector kRfcVectors[] = {
    {"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfcVectors) {
  for (const auto& v : kRfcVectors) EXPECT_EQ(base64_encode(v.plain), v.encoded) << v.plain;
}

TEST(Base64, DecodesRfcVectors) {
  for (const auto& v : kRfcVectors) {
    auto r = base64_decode(v.encoded);
    ASSERT_TRUE(r.has_value()) << v.encoded << ": " << r.error().message;
    EXPECT_EQ(*r, v.plain);
  }
}

TEST(Base64, RoundTripsBinaryOfEveryLengthMod3) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>((i * 37 + 11) & 0xff));
    auto std_rt = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(std_rt.has_value());
    EXPECT_EQ(*std_rt, bytes);
    auto url_rt = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(url_rt.has_value());
    EXPECT_EQ(*url_rt, bytes);
  }
}

TEST(Base64, StandardUsesPlusSlashUrlUsesDashUnderscore) {
  std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
}

TEST(Base64, HttpBasicCredentials) {
  EXPECT_EQ(base64_encode("AWS:secret"), "QVdTOnNlY3JldA==");
  auto r = base64_decode("QVdTOnNlY3JldA==");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "AWS:secret");
}

TEST(Base64, StandardDecodeRejectsBadInput) {
  for (std::string_view bad : {
           "Zg",         // padding required
           "Zg=",        // too little padding
           "Zm8",        // padding required
           "Z",          // impossible length
           "Zm9vY",      // impossible length
           "=",          // padding alone
           "====",       // padding alone
           "Zg===",      // too much padding
           "Zm=v",       // padding in the middle
           "Zm9v\n",     // whitespace
           "Zm 9v",      // whitespace
           "-_-_",       // url alphabet
           "Zh==",       // non-zero trailing bits
           "Zm9=",       // non-zero trailing bits
           "Zm9v!A==",   // foreign character
       }) {
    auto r = base64_decode(bad);
    ASSERT_FALSE(r.has_value()) << "accepted " << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(Base64Url, EncodesWithoutPadding) {
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
}

TEST(Base64Url, DecodesWithAndWithoutPadding) {
  for (std::string_view text : {"Zg", "Zg=="}) {
    auto r = base64url_decode(text);
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_EQ(*r, "f");
  }
  for (std::string_view text : {"Zm8", "Zm8="}) {
    auto r = base64url_decode(text);
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_EQ(*r, "fo");
  }
  auto r = base64url_decode("-_-_");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Url, DecodeRejectsBadInput) {
  for (std::string_view bad : {"Z", "Zg=", "Zm8==", "+/+/", "Zh", "Zm9v=", "Z=g=", "a b c d"}) {
    auto r = base64url_decode(bad);
    ASSERT_FALSE(r.has_value()) << "accepted " << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace berth
