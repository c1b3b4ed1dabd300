#include "crypto/ids.hpp"

#include <set>

#include <gtest/gtest.h>

namespace berth::crypto {
namespace {

TEST(Uuid, HasVersion4AndRfc4122Variant) {
  for (int i = 0; i < 200; ++i) {
    std::string id = new_uuid();
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;
  }
}

TEST(Uuid, IsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(seen.insert(new_uuid()).second);
}

TEST(Uuid, RecognisesCanonicalForm) {
  EXPECT_TRUE(is_uuid("123e4567-e89b-42d3-a456-426614174000"));
  EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
  // Other versions are still UUIDs.
  EXPECT_TRUE(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
}

TEST(Uuid, RejectsEverythingElse) {
  for (std::string_view bad : {
           "",
           "123e4567-e89b-42d3-a456-42661417400",    // short
           "123e4567-e89b-42d3-a456-4266141740000",  // long
           "123E4567-E89B-42D3-A456-426614174000",   // uppercase
           "123e4567e89b42d3a456426614174000",       // no hyphens
           "123e4567-e89b-42d3-a456_426614174000",   // wrong separator
           "123e4567-e89b-42d3-a4564-26614174000",   // hyphen misplaced
           "g23e4567-e89b-42d3-a456-426614174000",   // non-hex
           "{23e4567-e89b-42d3-a456-426614174000",   // braces
           "../../../../../../../../../etc/passw",   // 36 chars of path
       }) {
    EXPECT_FALSE(is_uuid(bad)) << bad;
  }
}

}  // namespace
}  // namespace berth::crypto
