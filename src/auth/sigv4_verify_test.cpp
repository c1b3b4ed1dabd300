// verify(): round trips through the signer and one test per rejection rule,
// each asserting the exact AWS failure kind in Error::detail.
#include <gtest/gtest.h>

#include <string>

#include "auth/sigv4.hpp"
#include "auth/sigv4_signer.hpp"
#include "crypto/hasher.hpp"

namespace berth::auth {
namespace {

constexpr std::int64_t kT = 1735732800000;  // 2025-01-01T12:00:00Z
constexpr std::int64_t kMinute = 60 * 1000;
constexpr std::string_view kKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAccount = "123456789012";
constexpr std::string_view kBody = R"({"repositoryName":"app"})";

Credential good_credential() {
  return {std::string(kKey), std::string(kSecret), std::string(kAccount), {}, {}};
}

SigV4Request ecr_request() {
  SigV4Request r;
  r.method = "POST";
  r.raw_path = "/";
  r.headers = {{"Host", "localhost:5000"},
               {"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"}};
  r.payload_sha256_hex = crypto::sha256_hex(kBody);
  return r;
}

SignOptions sign_at(std::int64_t now, std::string service = "ecr") {
  return {"us-east-1", std::move(service), now};
}

// Signs `r` with `c` and appends the Authorization header.
SigV4Request signed_request(SigV4Request r, const Credential& c, const SignOptions& o) {
  std::string authorization = sign_request(r, c, o);
  r.headers.emplace_back("Authorization", authorization);
  return r;
}

void set_header(SigV4Request& r, std::string_view name, std::string value) {
  for (auto& [n, v] : r.headers) {
    if (ascii_lower(n) == name) v = std::move(value);
  }
}

void remove_header(SigV4Request& r, std::string_view name) {
  std::erase_if(r.headers, [&](const auto& h) { return ascii_lower(h.first) == name; });
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.add(good_credential())); }

  VerifyOptions options(std::int64_t now = kT + kMinute) {
    VerifyOptions o;
    o.now_ms = now;
    return o;
  }

  // Asserts that verification fails with kUnauthenticated and `kind`.
  void expect_failure(const SigV4Request& r, std::string_view kind, const VerifyOptions& o) {
    auto result = verify(r, store_, o);
    ASSERT_FALSE(result.has_value()) << "expected " << kind;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(result.error().detail, kind) << result.error().message;
  }
  void expect_failure(const SigV4Request& r, std::string_view kind) {
    expect_failure(r, kind, options());
  }

  CredentialStore store_;
};

TEST_F(VerifyTest, SignedRequestRoundTrips) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  auto v = verify(r, store_, options());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->access_key_id, kKey);
  EXPECT_EQ(v->account_id, kAccount);
  EXPECT_EQ(v->region, "us-east-1");
  EXPECT_EQ(v->service, "ecr");
  EXPECT_EQ(v->signed_at_ms, kT);
  EXPECT_FALSE(v->declared_payload_hash.has_value());
  EXPECT_FALSE(v->presigned);
  EXPECT_FALSE(v->development_mode);
}

TEST_F(VerifyTest, WrongSecretIsInvalidSignatureAndLeaksNothing) {
  Credential wrong = good_credential();
  wrong.secret_access_key = "not-the-secret-at-all-0000000000000000000";
  auto r = signed_request(ecr_request(), wrong, sign_at(kT));
  auto result = verify(r, store_, options());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().detail, kInvalidSignature);
  // Neither the secret, the expected signature nor the received one appear.
  auto right = signed_request(ecr_request(), good_credential(), sign_at(kT));
  std::string expected_sig =
      right.headers.back().second.substr(right.headers.back().second.size() - 64);
  std::string received_sig = r.headers.back().second.substr(r.headers.back().second.size() - 64);
  for (const auto* text : {&result.error().message, &result.error().detail}) {
    EXPECT_EQ(text->find(kSecret), std::string::npos);
    EXPECT_EQ(text->find(expected_sig), std::string::npos);
    EXPECT_EQ(text->find(received_sig), std::string::npos);
    EXPECT_EQ(text->find("AWS4-HMAC-SHA256\n"), std::string::npos);
  }
}

TEST_F(VerifyTest, TamperedBodyHashIsInvalidSignature) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  r.payload_sha256_hex = crypto::sha256_hex(R"({"repositoryName":"evil"})");
  expect_failure(r, kInvalidSignature);
}

TEST_F(VerifyTest, TamperedHeaderValueIsInvalidSignature) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  set_header(r, "x-amz-target", "AmazonEC2ContainerRegistry_V20150921.DeleteRepository");
  expect_failure(r, kInvalidSignature);
}

TEST_F(VerifyTest, TamperedPathOrQueryIsInvalidSignature) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  r.raw_path = "/other";
  expect_failure(r, kInvalidSignature);
  r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  r.raw_query = "x=1";
  expect_failure(r, kInvalidSignature);
}

// Decision: an x-amz-* header outside SignedHeaders is IncompleteSignature
// (the request lacks a required signed part), not InvalidSignature.
TEST_F(VerifyTest, UnsignedAmzHeadersAreIncomplete) {
  for (std::string attack : {"X-Amz-Target", "x-amz-security-token", "X-AMZ-Meta-Anything",
                             "x-amz-date-extra", "X-Amz-User-Agent"}) {
    SCOPED_TRACE(attack);
    auto base = ecr_request();
    remove_header(base, ascii_lower(attack));
    auto r = signed_request(base, good_credential(), sign_at(kT));
    r.headers.emplace_back(attack, "added-after-signing");
    expect_failure(r, kIncompleteSignature);
  }
}

TEST_F(VerifyTest, UnsignedContentSha256IsAllowedBecauseItIsInTheCanonicalRequest) {
  auto base = ecr_request();
  auto r = signed_request(base, good_credential(), sign_at(kT));
  // Adding the header after signing changes the signed payload line, so the
  // signature (not the header rule) catches a wrong value...
  r.headers.emplace_back("X-Amz-Content-Sha256", crypto::sha256_hex("other"));
  expect_failure(r, kInvalidSignature);
  // ...and the right value verifies although the header is unsigned.
  set_header(r, "x-amz-content-sha256", crypto::sha256_hex(kBody));
  auto v = verify(r, store_, options());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->declared_payload_hash, crypto::sha256_hex(kBody));
}

TEST_F(VerifyTest, DeclaredContentSha256IsReturnedForTheCallerToCheck) {
  auto base = ecr_request();
  base.headers.emplace_back("X-Amz-Content-SHA256", crypto::sha256_hex(kBody));
  base.payload_sha256_hex = "";  // the body has not been read yet
  auto r = signed_request(base, good_credential(), sign_at(kT));
  auto v = verify(r, store_, options());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  ASSERT_TRUE(v->declared_payload_hash.has_value());
  EXPECT_EQ(*v->declared_payload_hash, crypto::sha256_hex(kBody));
}

TEST_F(VerifyTest, UnsignedPayloadOnlyWhenAllowed) {
  auto base = ecr_request();
  base.headers.emplace_back("X-Amz-Content-Sha256", std::string(kUnsignedPayload));
  auto r = signed_request(base, good_credential(), sign_at(kT));
  expect_failure(r, kIncompleteSignature);
  auto o = options();
  o.allow_unsigned_payload = true;
  auto v = verify(r, store_, o);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_FALSE(v->declared_payload_hash.has_value());
}

TEST_F(VerifyTest, HostMustBeSigned) {
  auto base = ecr_request();
  remove_header(base, "host");
  auto r = signed_request(base, good_credential(), sign_at(kT));
  r.headers.emplace_back("Host", "localhost:5000");
  expect_failure(r, kIncompleteSignature);
}

TEST_F(VerifyTest, SignedHeaderMustBePresent) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  remove_header(r, "content-type");
  expect_failure(r, kIncompleteSignature);
}

TEST_F(VerifyTest, AmzDateMustBeSignedAndWellFormed) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  auto unsigned_date = r;
  set_header(unsigned_date, "authorization", [&] {
    std::string a = r.headers.back().second;
    auto pos = a.find(";x-amz-date");
    return a.erase(pos, std::string_view(";x-amz-date").size());
  }());
  expect_failure(unsigned_date, kIncompleteSignature);

  auto repeated = r;
  repeated.headers.emplace_back("X-Amz-Date", format_amz_date(kT));
  expect_failure(repeated, kIncompleteSignature);

  auto malformed = r;
  set_header(malformed, "x-amz-date", "2025-01-01T12:00:00Z");
  expect_failure(malformed, kIncompleteSignature);

  auto missing = r;
  remove_header(missing, "x-amz-date");
  expect_failure(missing, kIncompleteSignature);
}

TEST_F(VerifyTest, DateHeaderMayReplaceAmzDate) {
  // Signed by hand with the step functions: Date instead of X-Amz-Date.
  SigV4Request r = ecr_request();
  r.headers.emplace_back("Date", "Wed, 01 Jan 2025 12:00:00 GMT");
  std::vector<std::string> names = {"content-type", "date", "host", "x-amz-target"};
  std::string creq = canonical_request("POST", "/", "", canonical_headers(r.headers, names),
                                       signed_headers_string(names), r.payload_sha256_hex);
  std::string sig = signature(
      signing_key(kSecret, "20250101", "us-east-1", "ecr"),
      string_to_sign("20250101T120000Z", credential_scope("20250101", "us-east-1", "ecr"), creq));
  r.headers.emplace_back("Authorization",
                         "AWS4-HMAC-SHA256 Credential=" + std::string(kKey) +
                             "/20250101/us-east-1/ecr/aws4_request, SignedHeaders=" +
                             signed_headers_string(names) + ", Signature=" + sig);
  auto v = verify(r, store_, options());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->signed_at_ms, kT);
}

TEST_F(VerifyTest, ClockSkewWindowIsFifteenMinutesBothWays) {
  auto stale = signed_request(ecr_request(), good_credential(), sign_at(kT - 16 * kMinute));
  expect_failure(stale, kSignatureExpired, options(kT));
  auto future = signed_request(ecr_request(), good_credential(), sign_at(kT + 16 * kMinute));
  expect_failure(future, kSignatureExpired, options(kT));
  for (std::int64_t offset : {-14 * kMinute, 14 * kMinute}) {
    auto r = signed_request(ecr_request(), good_credential(), sign_at(kT + offset));
    EXPECT_TRUE(verify(r, store_, options(kT)).has_value()) << offset;
  }
}

TEST_F(VerifyTest, UnknownKeyIsUnrecognizedClient) {
  Credential stranger{"AKIDUNKNOWN000000000", "some-secret", "210987654321", {}, {}};
  auto r = signed_request(ecr_request(), stranger, sign_at(kT));
  expect_failure(r, kUnrecognizedClient);
}

TEST_F(VerifyTest, ScopeServiceMustMatch) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT, "s3"));
  expect_failure(r, kInvalidSignature);
  // The same code verifies S3 once "s3" is an accepted service.
  auto o = options();
  o.services = {"ecr", "s3"};
  EXPECT_TRUE(verify(r, store_, o).has_value());
}

TEST_F(VerifyTest, ScopeRegionMustMatchWhenConfigured) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  auto o = options();
  o.region = "eu-west-1";
  expect_failure(r, kInvalidSignature, o);
  o.region = "us-east-1";
  EXPECT_TRUE(verify(r, store_, o).has_value());
}

TEST_F(VerifyTest, ScopeDateMustMatchAmzDate) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  std::string a = r.headers.back().second;
  a.replace(a.find("/20250101/"), 10, "/20241231/");
  set_header(r, "authorization", a);
  expect_failure(r, kInvalidSignature);
}

TEST_F(VerifyTest, MalformedAuthorizationIsIncomplete) {
  const std::string cred = "Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/ecr/aws4_request";
  const std::string sh = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
  const std::string sig = "Signature=" + std::string(64, 'a');
  const std::vector<std::string> variants = {
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 ",
      "Basic QVdTOnB3",
      "AWS4-HMAC-SHA1 " + cred + ", " + sh + ", " + sig,
      "AWS4-HMAC-SHA256" + cred + ", " + sh + ", " + sig,
      "AWS4-HMAC-SHA256 " + sh + ", " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", Extra=1",
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ",",
      "AWS4-HMAC-SHA256 " + cred + " " + sh + " " + sig,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/ecr, " + sh + ", " + sig,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2025011/us-east-1/ecr/aws4_request, " + sh +
          ", " + sig,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/ecr/aws4_requests, " +
          sh + ", " + sig,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101//ecr/aws4_request, " + sh + ", " +
          sig,
      "AWS4-HMAC-SHA256 Credential=/20250101/us-east-1/ecr/aws4_request, " + sh + ", " + sig,
      "AWS4-HMAC-SHA256 Credential=A/20250101/us-east-1/ecr/aws4_request/x, " + sh + ", " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;content-type, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host;x-amz-date, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + std::string(64, 'A'),
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + std::string(63, 'a'),
      "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + std::string(64, 'g'),
  };
  for (const auto& value : variants) {
    SCOPED_TRACE(value);
    auto r = ecr_request();
    r.headers.emplace_back("X-Amz-Date", format_amz_date(kT));
    r.headers.emplace_back("Authorization", value);
    expect_failure(r, kIncompleteSignature);
  }
}

TEST_F(VerifyTest, ComponentsMayComeInAnyOrder) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  auto parsed = parse_authorization(r.headers.back().second);
  ASSERT_TRUE(parsed.has_value());
  std::string reordered = "AWS4-HMAC-SHA256 Signature=" + parsed->signature +
                          ",SignedHeaders=" + signed_headers_string(parsed->signed_headers) +
                          ",  Credential=" + parsed->access_key_id +
                          "/20250101/us-east-1/ecr/aws4_request";
  set_header(r, "authorization", reordered);
  EXPECT_TRUE(verify(r, store_, options()).has_value());
}

TEST_F(VerifyTest, MissingAuthenticationIsReported) {
  auto r = ecr_request();
  r.headers.emplace_back("X-Amz-Date", format_amz_date(kT));
  expect_failure(r, kMissingAuthenticationToken);
}

TEST_F(VerifyTest, RepeatedOrDoubleAuthenticationIsIncomplete) {
  auto r = signed_request(ecr_request(), good_credential(), sign_at(kT));
  auto twice = r;
  twice.headers.push_back(r.headers.back());
  expect_failure(twice, kIncompleteSignature);
  auto both = r;
  both.raw_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
  expect_failure(both, kIncompleteSignature);
}

// --- presigned URLs --------------------------------------------------------

PresignOptions presign_at(std::int64_t now, std::int64_t expires = 900) {
  PresignOptions o;
  o.raw_path = "/v2/team/app/blobs/sha256:0123abcd";
  o.raw_query = "response-content-type=application%2Foctet-stream";
  o.host = "registry.example.com:5000";
  o.region = "us-east-1";
  o.service = "ecr";
  o.now_ms = now;
  o.expires_seconds = expires;
  return o;
}

SigV4Request presigned_get(const PresignOptions& o, std::string query) {
  SigV4Request r;
  r.method = "GET";
  r.raw_path = o.raw_path;
  r.raw_query = std::move(query);
  r.headers = {{"Host", o.host}, {"User-Agent", "curl/8"}};
  r.payload_sha256_hex = std::string(kEmptyPayloadSha256);
  return r;
}

std::string replace_param(std::string query, std::string_view key, std::string_view value) {
  auto start = query.find(std::string(key) + "=");
  auto end = query.find('&', start);
  query.replace(start, end - start, std::string(key) + "=" + std::string(value));
  return query;
}

TEST_F(VerifyTest, PresignedUrlVerifiesUntilItExpires) {
  auto o = presign_at(kT, 900);
  auto query = presign_url_query(good_credential(), o);
  ASSERT_TRUE(query.has_value()) << query.error().message;
  auto r = presigned_get(o, *query);
  auto v = verify(r, store_, options(kT + 10 * kMinute));
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_TRUE(v->presigned);
  EXPECT_EQ(v->account_id, kAccount);
  EXPECT_TRUE(verify(r, store_, options(kT + 900 * 1000)).has_value());
  expect_failure(r, kSignatureExpired, options(kT + 901 * 1000));
  // Long-lived URLs are not limited by the skew window...
  auto week = presign_at(kT, kMaxPresignExpiresSeconds);
  auto long_query = presign_url_query(good_credential(), week);
  ASSERT_TRUE(long_query.has_value());
  EXPECT_TRUE(
      verify(presigned_get(week, *long_query), store_, options(kT + 6LL * 24 * 60 * kMinute))
          .has_value());
  // ...but one dated in the future beyond it is refused.
  auto early = presign_at(kT + 20 * kMinute);
  expect_failure(presigned_get(early, *presign_url_query(good_credential(), early)),
                 kSignatureExpired, options(kT));
}

TEST_F(VerifyTest, PresignedUrlTamperingIsInvalidSignature) {
  auto o = presign_at(kT);
  auto query = *presign_url_query(good_credential(), o);
  auto other_path = presigned_get(o, query);
  other_path.raw_path = "/v2/team/app/blobs/sha256:ffff";
  expect_failure(other_path, kInvalidSignature);
  auto other_host = presigned_get(o, query);
  set_header(other_host, "host", "evil.example.com");
  expect_failure(other_host, kInvalidSignature);
  auto longer = presigned_get(o, replace_param(query, "X-Amz-Expires", "3600"));
  expect_failure(longer, kInvalidSignature);
  auto extra_param = presigned_get(o, query + "&extra=1");
  expect_failure(extra_param, kInvalidSignature);
  auto as_put = presigned_get(o, query);
  as_put.method = "PUT";
  expect_failure(as_put, kInvalidSignature);
}

TEST_F(VerifyTest, PresignedExpiresOutOfRangeIsIncomplete) {
  auto o = presign_at(kT);
  auto query = *presign_url_query(good_credential(), o);
  for (std::string_view bad : {"0", "604801", "-5", "abc", "", "99999999999"}) {
    SCOPED_TRACE(bad);
    expect_failure(presigned_get(o, replace_param(query, "X-Amz-Expires", bad)),
                   kIncompleteSignature);
  }
  auto too_long = presign_url_query(good_credential(), presign_at(kT, 604801));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(presign_url_query(good_credential(), presign_at(kT, 0)).has_value());
}

TEST_F(VerifyTest, PresignedMissingOrMalformedParamsAreIncomplete) {
  auto o = presign_at(kT);
  auto query = *presign_url_query(good_credential(), o);
  expect_failure(presigned_get(o, replace_param(query, "X-Amz-Algorithm", "AWS4-HMAC-SHA1")),
                 kIncompleteSignature);
  expect_failure(presigned_get(o, replace_param(query, "X-Amz-Date", "yesterday")),
                 kIncompleteSignature);
  expect_failure(presigned_get(o, replace_param(query, "X-Amz-SignedHeaders", "x-amz-date")),
                 kIncompleteSignature);  // host not signed
  std::string no_sig = query.substr(0, query.find("&X-Amz-Signature="));
  expect_failure(presigned_get(o, no_sig), kIncompleteSignature);
  expect_failure(presigned_get(o, query + "&X-Amz-Date=20250101T120000Z"), kIncompleteSignature);
}

TEST_F(VerifyTest, PresignedForS3UsesS3PathRules) {
  auto o = presign_at(kT);
  o.service = "s3";
  o.raw_path = "/bucket//key/./with%20space";
  auto query = *presign_url_query(good_credential(), o);
  auto opts = options();
  opts.services = {"s3"};
  auto v = verify(presigned_get(o, query), store_, opts);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  auto normalized = presigned_get(o, query);
  normalized.raw_path = "/bucket/key/with%20space";
  expect_failure(normalized, kInvalidSignature, opts);
}

// --- session credentials ---------------------------------------------------

TEST_F(VerifyTest, SessionTokenMustMatchAndNotBeExpired) {
  Credential session{"ASIAIOSFODNN7EXAMPLE", "session-secret", std::string(kAccount),
                     std::string("token+/=="), kT + 5 * kMinute};
  ASSERT_TRUE(store_.add(session));

  auto good = signed_request(ecr_request(), session, sign_at(kT));
  auto v = verify(good, store_, options());
  ASSERT_TRUE(v.has_value()) << v.error().message;

  Credential no_token = session;
  no_token.session_token.reset();
  expect_failure(signed_request(ecr_request(), no_token, sign_at(kT)), kUnrecognizedClient);

  Credential other_token = session;
  other_token.session_token = "token+/=x";
  expect_failure(signed_request(ecr_request(), other_token, sign_at(kT)), kUnrecognizedClient);

  expect_failure(good, kExpiredToken, options(kT + 5 * kMinute));
  expect_failure(good, kExpiredToken, options(kT + 6 * kMinute));

  // Presigned with the token in the query.
  auto o = presign_at(kT);
  auto query = presign_url_query(session, o);
  ASSERT_TRUE(query.has_value());
  EXPECT_NE(query->find("X-Amz-Security-Token=token%2B%2F%3D%3D"), std::string::npos);
  EXPECT_TRUE(verify(presigned_get(o, *query), store_, options()).has_value());
}

TEST_F(VerifyTest, TokenSentForLongTermKeyIsRefused) {
  Credential with_token = good_credential();
  with_token.session_token = "stray-token";
  expect_failure(signed_request(ecr_request(), with_token, sign_at(kT)), kUnrecognizedClient);
}

// --- development mode ------------------------------------------------------

TEST_F(VerifyTest, DevelopmentModeAcceptsUnknownKeysButStillChecksShape) {
  ASSERT_TRUE(store_.accept_any_key("000000000000"));
  Credential anyone{"AKIDANYTHING", "whatever", "999999999999", {}, {}};
  auto v = verify(signed_request(ecr_request(), anyone, sign_at(kT)), store_, options());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_TRUE(v->development_mode);
  EXPECT_EQ(v->account_id, "000000000000");
  EXPECT_EQ(v->access_key_id, "AKIDANYTHING");

  // Known keys are still verified for real.
  Credential wrong = good_credential();
  wrong.secret_access_key = "wrong";
  expect_failure(signed_request(ecr_request(), wrong, sign_at(kT)), kInvalidSignature);
  // Malformed, mis-scoped or stale requests are still refused.
  auto r = signed_request(ecr_request(), anyone, sign_at(kT));
  remove_header(r, "content-type");
  expect_failure(r, kIncompleteSignature);
  expect_failure(signed_request(ecr_request(), anyone, sign_at(kT, "s3")), kInvalidSignature);
  expect_failure(signed_request(ecr_request(), anyone, sign_at(kT - 60 * kMinute)),
                 kSignatureExpired);
  expect_failure(ecr_request(), kMissingAuthenticationToken);
}

TEST(SigV4Parse, AmzAndHttpDates) {
  EXPECT_EQ(*parse_amz_date("20250101T120000Z"), kT);
  EXPECT_EQ(format_amz_date(kT), "20250101T120000Z");
  EXPECT_FALSE(parse_amz_date("20250230T120000Z").has_value());
  EXPECT_FALSE(parse_amz_date("20250101T250000Z").has_value());
  EXPECT_FALSE(parse_amz_date("20250101 120000Z").has_value());
  EXPECT_EQ(*parse_http_date("Wed, 01 Jan 2025 12:00:00 GMT"), kT);
  EXPECT_EQ(*parse_http_date("Wed, 01 Jan 2025 12:00:00 -0000"), kT);
  EXPECT_FALSE(parse_http_date("Wed, 01 Foo 2025 12:00:00 GMT").has_value());
  EXPECT_FALSE(parse_http_date("Wednesday, 01-Jan-25 12:00:00 GMT").has_value());
}

}  // namespace
}  // namespace berth::auth
