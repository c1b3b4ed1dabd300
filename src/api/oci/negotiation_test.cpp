#include "api/oci/negotiation.hpp"

#include <gtest/gtest.h>

#include "oci/media_types.hpp"

namespace berth::api::oci {
namespace {

namespace mt = berth::oci::media_types;

bool accepts(std::vector<std::string_view> headers, std::string_view stored) {
  return accepts_manifest(parse_accept(headers), stored);
}

TEST(NegotiationTest, ParseAccept) {
  const auto v = parse_accept({"Application/JSON; q=0.5 , */*", "", " a/b ,,"});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "application/json");
  EXPECT_EQ(v[1], "*/*");
  EXPECT_EQ(v[2], "a/b");
}

TEST(NegotiationTest, NoManifestTypesAcceptsAnything) {
  EXPECT_TRUE(accepts({}, mt::kOciIndex));
  EXPECT_TRUE(accepts({"application/json"}, mt::kDockerManifest));
}

TEST(NegotiationTest, ExactTypeRequired) {
  const std::string both =
      std::string(mt::kDockerManifest) + ", " + std::string(mt::kDockerManifestList);
  EXPECT_TRUE(accepts({both}, mt::kDockerManifestList));
  EXPECT_FALSE(accepts({both}, mt::kOciIndex));
  EXPECT_FALSE(accepts({both}, mt::kOciManifest));
  EXPECT_TRUE(accepts({mt::kDockerManifest, mt::kOciManifest}, mt::kOciManifest));
}

TEST(NegotiationTest, Schema1OnlyRefusesModernTypes) {
  EXPECT_FALSE(accepts({mt::kDockerSchema1Signed}, mt::kOciManifest));
}

TEST(NegotiationTest, Wildcards) {
  const std::string docker(mt::kDockerManifest);
  EXPECT_TRUE(accepts({docker + ", */*"}, mt::kOciIndex));
  EXPECT_TRUE(accepts({docker, "application/*;q=0.1"}, mt::kOciIndex));
}

TEST(NegotiationTest, CaseInsensitive) {
  EXPECT_TRUE(accepts({"APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON"}, mt::kOciIndex));
}

}  // namespace
}  // namespace berth::api::oci
