#include "api/oci/router.hpp"

#include <gtest/gtest.h>

namespace berth::api::oci {
namespace {

constexpr const char* kDigest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

RouteMatch must_parse(std::string_view path) {
  Result<RouteMatch> r = parse_route(path);
  EXPECT_TRUE(r.has_value()) << path;
  return r.value_or(RouteMatch{});
}

TEST(RouterTest, Base) {
  EXPECT_EQ(must_parse("/v2/").kind, RouteKind::kBase);
  EXPECT_EQ(must_parse("/v2").kind, RouteKind::kBase);
  EXPECT_EQ(must_parse("/v2/_catalog").kind, RouteKind::kCatalog);
}

TEST(RouterTest, TagsList) {
  RouteMatch m = must_parse("/v2/library/alpine/tags/list");
  EXPECT_EQ(m.kind, RouteKind::kTagsList);
  EXPECT_EQ(m.name, "library/alpine");
  EXPECT_EQ(m.tail, "");
}

TEST(RouterTest, Manifest) {
  RouteMatch m = must_parse("/v2/a/b/c/manifests/latest");
  EXPECT_EQ(m.kind, RouteKind::kManifest);
  EXPECT_EQ(m.name, "a/b/c");
  EXPECT_EQ(m.tail, "latest");
  m = must_parse(std::string("/v2/a/manifests/") + kDigest);
  EXPECT_EQ(m.tail, kDigest);
}

TEST(RouterTest, NameWithMarkerComponents) {
  RouteMatch m = must_parse(std::string("/v2/a/blobs/b/blobs/") + kDigest);
  EXPECT_EQ(m.kind, RouteKind::kBlob);
  EXPECT_EQ(m.name, "a/blobs/b");
  EXPECT_EQ(m.tail, kDigest);

  m = must_parse("/v2/manifests/manifests/v1");
  EXPECT_EQ(m.kind, RouteKind::kManifest);
  EXPECT_EQ(m.name, "manifests");

  m = must_parse("/v2/x/tags/list/tags/list");
  EXPECT_EQ(m.kind, RouteKind::kTagsList);
  EXPECT_EQ(m.name, "x/tags/list");

  m = must_parse(std::string("/v2/a/blobs/uploads/blobs/") + kDigest);
  EXPECT_EQ(m.kind, RouteKind::kBlob);
  EXPECT_EQ(m.name, "a/blobs/uploads");

  m = must_parse("/v2/a/manifests/b/referrers/" + std::string(kDigest));
  EXPECT_EQ(m.kind, RouteKind::kReferrers);
  EXPECT_EQ(m.name, "a/manifests/b");
}

TEST(RouterTest, Uploads) {
  RouteMatch m = must_parse("/v2/a/b/blobs/uploads/");
  EXPECT_EQ(m.kind, RouteKind::kUploadStart);
  EXPECT_EQ(m.name, "a/b");
  m = must_parse("/v2/a/b/blobs/uploads");
  EXPECT_EQ(m.kind, RouteKind::kUploadStart);
  m = must_parse("/v2/a/b/blobs/uploads/0f3c-11");
  EXPECT_EQ(m.kind, RouteKind::kUpload);
  EXPECT_EQ(m.name, "a/b");
  EXPECT_EQ(m.tail, "0f3c-11");
  m = must_parse("/v2/blobs/blobs/uploads/x");
  EXPECT_EQ(m.kind, RouteKind::kUpload);
  EXPECT_EQ(m.name, "blobs");
}

TEST(RouterTest, Unknown) {
  for (const char* path : {"/v3/", "/v2/a", "/v2/a/manifests/", "/v2/manifests/x",
                           "/v2/a/blobs/", "/v2/a/unknown/x", "/v2/a/tags/lists",
                           "/v2/blobs/uploads/", "/v2/_catalog/x", "/v2x"}) {
    EXPECT_EQ(must_parse(path).kind, RouteKind::kUnknown) << path;
  }
}

TEST(RouterTest, TailHasNoSlash) {
  // The tail is the last component; a slash moves it into the name.
  RouteMatch m = must_parse("/v2/a/manifests/b/c");
  EXPECT_EQ(m.kind, RouteKind::kUnknown);
}

TEST(RouterTest, InvalidNames) {
  for (const char* path : {"/v2/A/manifests/latest", "/v2/a/../b/manifests/latest",
                           "/v2/a//b/tags/list", "/v2/a\\b/blobs/uploads/",
                           "/v2/-a/manifests/x", "/v2/a/./b/tags/list"}) {
    Result<RouteMatch> r = parse_route(path);
    ASSERT_FALSE(r.has_value()) << path;
    EXPECT_EQ(r.error().code, ErrorCode::kNameInvalid) << path;
  }
  std::string nul = "/v2/a";
  nul.push_back('\0');
  nul += "b/tags/list";
  Result<RouteMatch> r = parse_route(nul);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNameInvalid);
}

TEST(RouterTest, AllowedMethods) {
  EXPECT_EQ(allow_header_value(RouteKind::kBlob), "GET, HEAD, DELETE");
  EXPECT_EQ(allow_header_value(RouteKind::kUploadStart), "POST");
  EXPECT_EQ(allow_header_value(RouteKind::kUpload), "GET, PATCH, PUT, DELETE");
  EXPECT_TRUE(allowed_methods(RouteKind::kUnknown).empty());
}

}  // namespace
}  // namespace berth::api::oci
