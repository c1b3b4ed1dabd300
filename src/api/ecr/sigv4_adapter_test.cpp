#include "api/ecr/sigv4_adapter.hpp"

#include <gtest/gtest.h>

#include "auth/sigv4_signer.hpp"
#include "crypto/hasher.hpp"

namespace berth::api::ecr {
namespace {

TEST(SigV4Adapter, SplitsOriginAndAbsoluteForms) {
  auto a = split_raw_target("/?Action=BatchGetImage&repositoryName=a%2Fb");
  EXPECT_EQ(a.path, "/");
  EXPECT_EQ(a.query, "Action=BatchGetImage&repositoryName=a%2Fb");
  auto b = split_raw_target("http://berth:5000/v2/x%20y/blobs?z=1");
  EXPECT_EQ(b.path, "/v2/x%20y/blobs");
  EXPECT_EQ(b.query, "z=1");
  auto c = split_raw_target("http://berth:5000");
  EXPECT_EQ(c.path, "/");
  EXPECT_EQ(c.query, "");
  auto d = split_raw_target("/");
  EXPECT_EQ(d.path, "/");
  EXPECT_EQ(d.query, "");
}

TEST(SigV4Adapter, CarriesMethodHeadersAndHashSoASignatureVerifies) {
  const std::string body = R"({"repositoryName":"app"})";
  http::Request request;
  request.method = http::beast_http::verb::post;
  request.target = "/";
  request.path = "/";
  request.headers.set("Host", "127.0.0.1:5000");
  request.headers.set("Content-Type", "application/x-amz-json-1.1");
  request.headers.set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.ListImages");

  auth::Credential credential{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                              "123456789012", std::nullopt, std::nullopt};
  const std::int64_t now = 1'735'732'800'000;  // 2025-01-01T12:00:00Z
  auth::SigV4Request to_sign = to_sigv4_request(request, crypto::sha256_hex(body));
  std::string authorization =
      auth::sign_request(to_sign, credential, {.region = "eu-west-1", .service = "ecr", .now_ms = now});
  // The signer added X-Amz-Date to its copy; the client sends it too.
  for (const auto& [name, value] : to_sign.headers) {
    if (auth::ascii_lower(name) == "x-amz-date") request.headers.set("X-Amz-Date", value);
  }
  request.headers.set("Authorization", authorization);

  auth::CredentialStore store;
  ASSERT_TRUE(store.add(credential));
  auto verified = auth::verify(to_sigv4_request(request, crypto::sha256_hex(body)), store,
                               {.now_ms = now});
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->account_id, "123456789012");
  EXPECT_EQ(verified->region, "eu-west-1");

  auto tampered = auth::verify(to_sigv4_request(request, crypto::sha256_hex(body + " ")), store,
                               {.now_ms = now});
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().detail, "InvalidSignature");
}

}  // namespace
}  // namespace berth::api::ecr
