// berth's S3 requests against the published examples of the AWS S3 SigV4
// documentation ("Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk" and "Authenticating Requests:
// Using Query Parameters"), key AKIAIOSFODNN7EXAMPLE, 2013-05-24T00:00:00Z.
#include <gtest/gtest.h>

#include "auth/sigv4_canonical.hpp"
#include "crypto/hasher.hpp"
#include "storage/blob/s3/s3_address.hpp"
#include "storage/blob/s3/s3_signing.hpp"

namespace berth::storage::blob::s3 {
namespace {

constexpr std::int64_t kExampleTime = 1369353600000;  // 20130524T000000Z

S3Config example_config() {
  S3Config config;
  config.endpoint = S3Endpoint{true, "s3.amazonaws.com", 0};
  config.bucket = "examplebucket";
  config.region = "us-east-1";
  config.credential = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       std::nullopt};
  return config;
}

std::string header(const auth::HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (auth::ascii_lower(n) == name) return v;
  }
  return {};
}

std::string signature_of(const auth::HeaderList& headers) {
  const std::string authorization = header(headers, "authorization");
  const auto at = authorization.find("Signature=");
  return at == std::string::npos ? std::string() : authorization.substr(at + 10);
}

TEST(S3Signing, GetObjectWithRange) {
  const S3Config config = example_config();
  const S3Target target = address(config, "test.txt");
  EXPECT_EQ(target.host, "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(target.url, "https://examplebucket.s3.amazonaws.com/test.txt");
  auth::HeaderList headers = sign_s3_request(config, "GET", target, {{"Range", "bytes=0-9"}},
                                             auth::kEmptyPayloadSha256, kExampleTime);
  EXPECT_EQ(signature_of(headers),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_NE(header(headers, "authorization")
                .find("Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"),
            std::string::npos);
  EXPECT_NE(header(headers, "authorization")
                .find("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"),
            std::string::npos);
  EXPECT_EQ(header(headers, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(header(headers, "host"), "examplebucket.s3.amazonaws.com");
}

TEST(S3Signing, PutObjectEncodesTheKeyOnce) {
  const S3Config config = example_config();
  const S3Target target = address(config, "test$file.text");
  EXPECT_EQ(target.raw_path, "/test%24file.text");
  const std::string payload = "Welcome to Amazon S3.";
  auth::HeaderList headers =
      sign_s3_request(config, "PUT", target,
                      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                      crypto::sha256_hex(payload), kExampleTime);
  EXPECT_EQ(signature_of(headers),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(S3Signing, BucketRequestsWithQueries) {
  const S3Config config = example_config();
  auth::HeaderList lifecycle = sign_s3_request(config, "GET", address(config, "", "lifecycle"),
                                               {}, auth::kEmptyPayloadSha256, kExampleTime);
  EXPECT_EQ(signature_of(lifecycle),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  auth::HeaderList list = sign_s3_request(config, "GET", address(config, "", "max-keys=2&prefix=J"),
                                          {}, auth::kEmptyPayloadSha256, kExampleTime);
  EXPECT_EQ(signature_of(list),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(S3Signing, PresignedGet) {
  auto url = presign_get(example_config(), "test.txt", std::chrono::seconds(86400), kExampleTime);
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_TRUE(url->starts_with("https://examplebucket.s3.amazonaws.com/test.txt?")) << *url;
  EXPECT_TRUE(url->ends_with(
      "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
      << *url;
  EXPECT_FALSE(presign_get(example_config(), "k", std::chrono::seconds(0), kExampleTime));
}

TEST(S3Signing, SessionTokenIsSentAndSigned) {
  S3Config config = example_config();
  config.credential.session_token = "token/with+chars";
  auth::HeaderList headers = sign_s3_request(config, "HEAD", address(config, "k"), {},
                                             auth::kEmptyPayloadSha256, kExampleTime);
  EXPECT_EQ(header(headers, "x-amz-security-token"), "token/with+chars");
  EXPECT_NE(header(headers, "authorization").find("x-amz-security-token"), std::string::npos);
}

TEST(S3Address, PathStyleAndPorts) {
  S3Config config = example_config();
  config.path_style = true;
  config.endpoint = S3Endpoint{false, "127.0.0.1", 7480};
  S3Target target = address(config, "pre/blobs/sha256/ab/abc", "partNumber=1&uploadId=x");
  EXPECT_EQ(target.host, "127.0.0.1:7480");
  EXPECT_EQ(target.raw_path, "/examplebucket/pre/blobs/sha256/ab/abc");
  EXPECT_EQ(target.url,
            "http://127.0.0.1:7480/examplebucket/pre/blobs/sha256/ab/abc?partNumber=1&uploadId=x");
  config.endpoint.port = 80;  // the scheme's default is not written
  EXPECT_EQ(address(config, "").host, "127.0.0.1");
  EXPECT_EQ(address(config, "").raw_path, "/examplebucket");
  EXPECT_EQ(s3_query_param("uploadId", "2~a/b+c="), "uploadId=2~a%2Fb%2Bc%3D");
}

TEST(S3Address, ParsesEndpoints) {
  auto plain = parse_endpoint("http://127.0.0.1:7480/");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->https);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 7480);
  auto tls = parse_endpoint("https://minio.example");
  ASSERT_TRUE(tls.has_value());
  EXPECT_TRUE(tls->https);
  EXPECT_EQ(tls->port, 0);
  for (const char* bad : {"ftp://x", "http://", "http://h:0", "http://h:99999", "http://h/path",
                          "http://u@h", "h:80", "http://h:x"}) {
    EXPECT_FALSE(parse_endpoint(bad).has_value()) << bad;
  }
  EXPECT_EQ(aws_endpoint("eu-west-1").host, "s3.eu-west-1.amazonaws.com");
}

}  // namespace
}  // namespace berth::storage::blob::s3
