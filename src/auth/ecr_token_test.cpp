#include "auth/ecr_token.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "auth/failure_kinds.hpp"
#include "crypto/hasher.hpp"
#include "util/base64.hpp"

namespace berth::auth {
namespace {

constexpr std::int64_t kT = 1735732800000;
const std::string kServerSecret = "0123456789abcdef-server-secret";

TokenClaims claims() { return {"AKIAIOSFODNN7EXAMPLE", "123456789012", "us-east-1", kT + 1000}; }

void expect_kind(const Result<TokenClaims>& r, std::string_view kind) {
  ASSERT_FALSE(r.has_value()) << "expected " << kind;
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(r.error().detail, kind);
}

TEST(EcrToken, IssuedPasswordVerifiesInAnyProcessWithTheSecret) {
  EcrTokenSigner issuer(kServerSecret);
  EcrTokenSigner other_process(kServerSecret);
  std::string password = issuer.issue(claims());
  auto r = other_process.verify(password, kT);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r->account_id, "123456789012");
  EXPECT_EQ(r->region, "us-east-1");
  EXPECT_EQ(r->expires_at_ms, kT + 1000);
  EXPECT_EQ(password.find(kServerSecret), std::string::npos);
}

TEST(EcrToken, PasswordCarriesTheCallerIdentity) {
  EcrTokenSigner signer(kServerSecret);
  TokenClaims c = claims();
  c.caller_account_id = "222222222222";
  c.principal = "role/ci";
  auto r = signer.verify(signer.issue(c), kT);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->account_id, "123456789012");
  EXPECT_EQ(r->caller_account_id, "222222222222");
  EXPECT_EQ(r->principal, "role/ci");
  // Unset caller fields mean the registry account's root.
  auto plain = signer.verify(signer.issue(claims()), kT);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->caller_account_id, "123456789012");
  EXPECT_EQ(plain->principal, "root");
}

TEST(EcrToken, VersionOnePasswordsStillVerifyAsTheAccountRoot) {
  // A password issued before identities: "1" and four fields.
  const std::string key = crypto::hmac_sha256(kServerSecret, "berth/ecr-token/v1");
  const std::string payload = "113:173573280100020:AKIAIOSFODNN7EXAMPLE12:1234567890129:us-east-1";
  const std::string password =
      base64url_encode(payload) + "." + base64url_encode(crypto::hmac_sha256(key, payload));
  EcrTokenSigner signer(kServerSecret);
  auto r = signer.verify(password, kT);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r->caller_account_id, "123456789012");
  EXPECT_EQ(r->principal, "root");
}

TEST(EcrToken, ExpiredPasswordIsExpiredToken) {
  EcrTokenSigner signer(kServerSecret);
  std::string password = signer.issue(claims());
  EXPECT_TRUE(signer.verify(password, kT + 999).has_value());
  expect_kind(signer.verify(password, kT + 1000), kExpiredToken);
  expect_kind(signer.verify(password, kT + kEcrTokenLifetimeMs), kExpiredToken);
}

TEST(EcrToken, TamperedOrForeignPasswordsAreInvalid) {
  EcrTokenSigner signer(kServerSecret);
  std::string password = signer.issue(claims());
  for (std::size_t i = 0; i < password.size(); ++i) {
    if (password[i] == '.') continue;
    std::string bad = password;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto r = signer.verify(bad, kT);
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().detail, kInvalidToken) << "byte " << i;
  }
  EcrTokenSigner stranger("another-server-secret-of-16+");
  expect_kind(stranger.verify(password, kT), kInvalidToken);
  // A longer expiry spliced in with the old MAC.
  TokenClaims later = claims();
  later.expires_at_ms += kEcrTokenLifetimeMs;
  std::string forged = stranger.issue(later);
  forged = forged.substr(0, forged.find('.')) + password.substr(password.find('.'));
  expect_kind(signer.verify(forged, kT), kInvalidToken);
}

TEST(EcrToken, GarbageIsInvalidToken) {
  EcrTokenSigner signer(kServerSecret);
  for (std::string_view garbage :
       {"", ".", "abc", "a.b", "....", "QVdTOnB3", "eyJhbGciOiJIUzI1NiJ9.e30.x"}) {
    SCOPED_TRACE(garbage);
    expect_kind(signer.verify(garbage, kT), kInvalidToken);
  }
  expect_kind(signer.verify(std::string(10000, 'A'), kT), kInvalidToken);
}

TEST(EcrToken, FieldsWithSeparatorBytesRoundTrip) {
  EcrTokenSigner signer(kServerSecret);
  TokenClaims odd{"K:1.2", "123456789012", "weird:region\n1:x", kT + 5};
  auto r = signer.verify(signer.issue(odd), kT);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->access_key_id, odd.access_key_id);
  EXPECT_EQ(r->region, odd.region);
}

TEST(EcrToken, ShortServerSecretIsAStartupError) {
  EXPECT_THROW(EcrTokenSigner("short"), std::invalid_argument);
}

TEST(EcrToken, AuthorizationTokenIsBase64OfAwsUser) {
  std::string token = authorization_token("pass.word");
  auto decoded = base64_decode(token);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "AWS:pass.word");
  // What docker sends back after `docker login -u AWS -p <password>`.
  auto basic = parse_basic_authorization("Basic " + token);
  ASSERT_TRUE(basic.has_value()) << basic.error().message;
  EXPECT_EQ(basic->user, "AWS");
  EXPECT_EQ(basic->password, "pass.word");
}

TEST(BasicAuthorization, ParsesAndRejects) {
  auto r = parse_basic_authorization("  basic   " + base64_encode("user:pa:ss") + " ");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->user, "user");
  EXPECT_EQ(r->password, "pa:ss");
  auto empty = parse_basic_authorization("Basic " + base64_encode(":"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->user, "");
  EXPECT_EQ(empty->password, "");
  for (std::string bad : {std::string("Bearer abc"), std::string("Basic"), std::string("Basic "),
                          std::string("Basicx ") + base64_encode("a:b"),
                          std::string("Basic ") + base64_encode("nocolon"),
                          std::string("Basic !!!!"), std::string("")}) {
    SCOPED_TRACE(bad);
    auto result = parse_basic_authorization(bad);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(result.error().detail, kInvalidToken);
  }
}

}  // namespace
}  // namespace berth::auth
