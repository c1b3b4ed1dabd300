#include "registry/manifest_facts.hpp"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(WildcardMatch, MatchesStarsAndLiterals) {
  EXPECT_TRUE(wildcard_match("latest", "latest"));
  EXPECT_FALSE(wildcard_match("latest", "latest2"));
  EXPECT_TRUE(wildcard_match("release-*", "release-1.2"));
  EXPECT_TRUE(wildcard_match("*-dev", "feature-dev"));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(wildcard_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_FALSE(wildcard_match("", "x"));
}

TEST(TagsImmutable, FollowsModeAndExclusionFilters) {
  EXPECT_FALSE(tags_immutable("{}", "v1"));
  EXPECT_FALSE(tags_immutable(R"({"imageTagMutability":"MUTABLE"})", "v1"));
  EXPECT_TRUE(tags_immutable(R"({"imageTagMutability":"IMMUTABLE"})", "v1"));
  EXPECT_FALSE(tags_immutable(R"({"imageTagMutability":"IMMUTABLE"})", ""));
  const char* immutable_except_latest =
      R"({"imageTagMutability":"IMMUTABLE_WITH_EXCLUSION",
          "imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"latest*"}]})";
  EXPECT_FALSE(tags_immutable(immutable_except_latest, "latest"));
  EXPECT_FALSE(tags_immutable(immutable_except_latest, "latest-arm"));
  EXPECT_TRUE(tags_immutable(immutable_except_latest, "v1"));
  const char* mutable_except_release =
      R"({"imageTagMutability":"MUTABLE_WITH_EXCLUSION",
          "imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"release-*"}]})";
  EXPECT_TRUE(tags_immutable(mutable_except_release, "release-1"));
  EXPECT_FALSE(tags_immutable(mutable_except_release, "dev"));
  EXPECT_FALSE(tags_immutable("not json", "v1"));
}

}  // namespace
}  // namespace berth::registry
