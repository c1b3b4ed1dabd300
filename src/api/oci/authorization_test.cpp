#include "api/oci/authorization.hpp"

#include <gtest/gtest.h>

namespace berth::api::oci {
namespace {

using Verb = http::beast_http::verb;

std::vector<RequiredAccess> need(Verb method, std::string target) {
  http::Request r;
  r.method = method;
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  if (auto q = target.find('?'); q != std::string::npos) {
    std::string_view query = std::string_view(target).substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      auto eq = pair.find('=');
      r.query.emplace_back(std::string(pair.substr(0, eq)),
                           eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  auto route = parse_route(r.path);
  EXPECT_TRUE(route) << target;
  return required_access(*route, r, "111111111111:us-east-1");
}

std::vector<std::string_view> actions(Verb method, std::string target) {
  auto required = need(method, std::move(target));
  return required.empty() ? std::vector<std::string_view>{} : required[0].any_of;
}

using V = std::vector<std::string_view>;

TEST(OciAuthorization, PullPushDeleteAndCatalogMapToEcrActions) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(actions(Verb::get, "/v2/"), V{});
  EXPECT_EQ(actions(Verb::get, "/v2/team/app/manifests/v1"), V{"ecr:BatchGetImage"});
  EXPECT_EQ(actions(Verb::head, "/v2/team/app/manifests/v1"), V{"ecr:BatchGetImage"});
  EXPECT_EQ(actions(Verb::get, "/v2/team/app/tags/list"), V{"ecr:BatchGetImage"});
  EXPECT_EQ(actions(Verb::get, "/v2/team/app/blobs/" + digest), V{"ecr:GetDownloadUrlForLayer"});
  EXPECT_EQ(actions(Verb::head, "/v2/team/app/blobs/" + digest),
            (V{"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"}));
  EXPECT_EQ(actions(Verb::post, "/v2/team/app/blobs/uploads/"), V{"ecr:InitiateLayerUpload"});
  EXPECT_EQ(actions(Verb::patch, "/v2/team/app/blobs/uploads/abc"), V{"ecr:UploadLayerPart"});
  EXPECT_EQ(actions(Verb::put, "/v2/team/app/blobs/uploads/abc"), V{"ecr:CompleteLayerUpload"});
  EXPECT_EQ(actions(Verb::put, "/v2/team/app/manifests/v1"), V{"ecr:PutImage"});
  EXPECT_EQ(actions(Verb::delete_, "/v2/team/app/manifests/" + digest), V{"ecr:BatchDeleteImage"});
  EXPECT_EQ(actions(Verb::get, "/v2/_catalog"), V{"ecr:DescribeRepositories"});
  auto catalog = need(Verb::get, "/v2/_catalog");
  EXPECT_EQ(catalog[0].target.scope, access::Scope::kRepositories);
  auto manifest = need(Verb::get, "/v2/team/app/manifests/v1");
  EXPECT_EQ(manifest[0].target.repository, "team/app");
  EXPECT_EQ(manifest[0].target.registry, "111111111111:us-east-1");
}

TEST(OciAuthorization, AMountAlsoReadsTheSource) {
  const std::string digest = "sha256:" + std::string(64, 'b');
  auto required = need(Verb::post, "/v2/team/app/blobs/uploads/?mount=" + digest + "&from=base/img");
  ASSERT_EQ(required.size(), 2u);
  EXPECT_EQ(required[1].target.repository, "base/img");
  EXPECT_EQ(required[1].any_of, V{"ecr:BatchGetImage"});
}

}  // namespace
}  // namespace berth::api::oci
