// SigV4 verification: every ECR API call (and every S3-style request)
// recomputes the canonical request, the signing key (four HMACs) and the
// signature. The request is signed once, outside the timed loop, by the
// same signer the auth unit tests round-trip through.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/credentials.hpp"
#include "auth/sigv4.hpp"
#include "auth/sigv4_parse.hpp"
#include "auth/sigv4_signer.hpp"
#include "crypto/hasher.hpp"

namespace berth::bench {
namespace {

constexpr std::int64_t kSignedAtMs = 1735732800000;  // 2025-01-01T12:00:00Z
constexpr std::int64_t kVerifiedAtMs = kSignedAtMs + 60 * 1000;
// The AWS documentation's example key pair.
constexpr std::string_view kAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAccountId = "123456789012";
constexpr std::string_view kBatchGetImageBody =
    R"({"repositoryName":"team/app","imageIds":[{"imageTag":"v1"}],)"
    R"("acceptedMediaTypes":["application/vnd.oci.image.manifest.v1+json"]})";

auth::Credential bench_credential() {
  return {std::string(kAccessKeyId), std::string(kSecretAccessKey), std::string(kAccountId), {},
          {}};
}

// An ECR BatchGetImage call as botocore sends it: content-type, host,
// x-amz-date and x-amz-target signed; User-Agent and Content-Length not.
auth::SigV4Request signed_batch_get_image() {
  // Strings built explicitly: assigning the literals trips g++ 12's false
  // -Wrestrict warning (GCC PR 105329).
  auth::SigV4Request request{
      .method = std::string("POST"),
      .raw_path = std::string("/"),
      .headers = {{"Host", "127.0.0.1:5000"},
                  {"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.BatchGetImage"}},
      .payload_sha256_hex = crypto::sha256_hex(kBatchGetImageBody)};
  std::string authorization =
      auth::sign_request(request, bench_credential(), {"us-east-1", "ecr", kSignedAtMs});
  request.headers.emplace_back("Authorization", std::move(authorization));
  request.headers.emplace_back("User-Agent",
                               "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 botocore/2.4.5");
  request.headers.emplace_back("Content-Length", std::to_string(kBatchGetImageBody.size()));
  return request;
}

std::string_view authorization_of(const auth::SigV4Request& request) {
  for (const auto& [name, value] : request.headers) {
    if (name == "Authorization") return value;
  }
  return {};
}

void BM_SigV4VerifyEcrRequest(benchmark::State& state) {
  auth::CredentialStore store;
  if (auto added = store.add(bench_credential()); !added) {
    state.SkipWithError(added.error().message.c_str());
    return;
  }
  const auth::SigV4Request request = signed_batch_get_image();
  const auth::VerifyOptions options{.region = "us-east-1", .now_ms = kVerifiedAtMs};
  auto verified = auth::verify(request, store, options);
  if (!verified || verified->access_key_id != kAccessKeyId || verified->development_mode) {
    state.SkipWithError(verified ? "verify accepted the wrong identity"
                                 : verified.error().message.c_str());
    return;
  }
  // A body other than the signed one must fail, or the signature is not
  // really being checked.
  auth::SigV4Request tampered = request;
  tampered.payload_sha256_hex = crypto::sha256_hex("{}");
  if (auth::verify(tampered, store, options)) {
    state.SkipWithError("verify accepted a tampered request");
    return;
  }
  for (auto _ : state) {
    auto result = auth::verify(request, store, options);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_SigV4VerifyEcrRequest);

void BM_SigV4ParseAuthorization(benchmark::State& state) {
  const auth::SigV4Request request = signed_batch_get_image();
  const std::string authorization(authorization_of(request));
  auto parsed = auth::parse_authorization(authorization);
  if (!parsed || parsed->access_key_id != kAccessKeyId || parsed->signed_headers.size() != 4 ||
      parsed->signature.size() != 64) {
    state.SkipWithError(parsed ? "parse_authorization returned the wrong parts"
                               : parsed.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto header = auth::parse_authorization(authorization);
    benchmark::DoNotOptimize(header);
  }
}
BENCHMARK(BM_SigV4ParseAuthorization);

}  // namespace
}  // namespace berth::bench
