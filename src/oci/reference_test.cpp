#include "oci/reference.hpp"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

TEST(RepositoryName, AcceptsValidNames) {
  for (std::string_view name : {
           "a", "0", "a/b", "a__b", "a_b", "a---b", "a-b", "a.b", "a.b-c_d/e", "library/busybox",
           "my-org/team.x/app__v2", "a1/b2/c3/d4", "123", "a/b-c/d--e/f__g/h.i",
           "0.0/1-1/2_2/3__3",
       }) {
    auto s = validate_repository_name(name);
    EXPECT_TRUE(s.has_value()) << name << ": " << (s ? "" : s.error().message);
  }
}

TEST(RepositoryName, AcceptsExactly256Characters) {
  std::string name = std::string(127, 'a') + "/" + std::string(128, 'b');
  ASSERT_EQ(name.size(), 256u);
  EXPECT_TRUE(validate_repository_name(name).has_value());
}

struct BadName {
  std::string name;
  std::string message_fragment;
};

TEST(RepositoryName, RejectsInvalidNamesWithAReason) {
  const BadName cases[] = {
      {"", "empty"},
      {"A", "'A' at offset 0"},
      {"library/Busybox", "'B' at offset 8"},
      {"a/", "empty path component at offset 2"},
      {"/a", "empty path component at offset 0"},
      {"a//b", "empty path component at offset 2"},
      {"a___b", "separator \"___\" at offset 1"},
      {"a_-b", "separator \"_-\""},
      {"a-_b", "separator \"-_\""},
      {"a._b", "separator \"._\""},
      {"a..b", "separator \"..\""},
      {"-a", "must start"},
      {"_a", "must start"},
      {".a", "must start"},
      {"a-", "must end"},
      {"a/b.", "must end"},
      {"../x", "must start"},
      {"a/../b", "must start"},
      {"a%2fb", "'%' at offset 1"},
      {"a b", "byte 0x20 at offset 1"},
      {"a:b", "':'"},
      {"a@b", "'@'"},
      {std::string("a\0b", 3), "byte 0x00"},
      {"a\\b", "'\\'"},
      {std::string(257, 'a'), "257 characters"},
  };
  for (const auto& c : cases) {
    auto s = validate_repository_name(c.name);
    ASSERT_FALSE(s.has_value()) << "accepted " << c.name;
    EXPECT_EQ(s.error().code, ErrorCode::kNameInvalid) << c.name;
    EXPECT_NE(s.error().message.find(c.message_fragment), std::string::npos)
        << c.name << " -> " << s.error().message;
  }
}

TEST(RepositoryName, DetailIsTruncated) {
  std::string huge(10000, 'A');
  auto s = validate_repository_name(huge);
  ASSERT_FALSE(s.has_value());
  EXPECT_LE(s.error().detail.size(), 300u);
}

TEST(Tag, AcceptsValidTags) {
  for (std::string_view tag : {"latest", "v1.2.3", "_", "_hidden", "A", "1", "1.0-rc.1_build",
                               "sha256-abc.sig", "UPPER-lower.123"}) {
    auto s = validate_tag(tag);
    EXPECT_TRUE(s.has_value()) << tag << ": " << (s ? "" : s.error().message);
  }
  EXPECT_TRUE(validate_tag(std::string(128, 'x')).has_value());
  EXPECT_TRUE(validate_tag("a" + std::string(127, '-')).has_value());
}

TEST(Tag, RejectsInvalidTagsWithAReason) {
  const BadName cases[] = {
      {"", "empty"},
      {".hidden", "'.' may not start"},
      {"-x", "'-' may not start"},
      {"a/b", "'/' at offset 1"},
      {"a:b", "':' at offset 1"},
      {"a+b", "'+'"},
      {"a b", "byte 0x20"},
      {"v1\n", "byte 0x0a"},
      {std::string(129, 'x'), "129 characters"},
  };
  for (const auto& c : cases) {
    auto s = validate_tag(c.name);
    ASSERT_FALSE(s.has_value()) << "accepted " << c.name;
    EXPECT_EQ(s.error().code, ErrorCode::kTagInvalid) << c.name;
    EXPECT_NE(s.error().message.find(c.message_fragment), std::string::npos)
        << c.name << " -> " << s.error().message;
  }
}

const std::string kDigest =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Reference, ParsesTag) {
  auto r = Reference::parse("v1.0");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_tag());
  EXPECT_FALSE(r->is_digest());
  EXPECT_EQ(r->tag(), "v1.0");
  EXPECT_EQ(r->str(), "v1.0");
}

TEST(Reference, ParsesDigest) {
  auto r = Reference::parse(kDigest);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_digest());
  EXPECT_EQ(r->digest().str(), kDigest);
  EXPECT_EQ(r->str(), kDigest);
}

TEST(Reference, ColonMeansDigest) {
  auto r = Reference::parse("latest:foo");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDigestInvalid);
  auto md5 = Reference::parse("md5:d41d8cd98f00b204e9800998ecf8427e");
  ASSERT_FALSE(md5.has_value());
  EXPECT_EQ(md5.error().code, ErrorCode::kDigestInvalid);
}

TEST(Reference, BadTag) {
  auto r = Reference::parse("-bad");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kTagInvalid);
  auto empty = Reference::parse("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kTagInvalid);
}

TEST(Reference, Constructors) {
  EXPECT_EQ(Reference::of_tag("x").str(), "x");
  auto d = Digest::parse(kDigest);
  ASSERT_TRUE(d.has_value());
  auto ref = Reference::of_digest(*d);
  EXPECT_TRUE(ref.is_digest());
  EXPECT_EQ(ref.digest(), *d);
}

}  // namespace
}  // namespace berth::oci
