#include "api/oci/registry_auth.hpp"

#include <gtest/gtest.h>

#include "auth/failure_kinds.hpp"
#include "util/base64.hpp"

namespace berth::api::oci {
namespace {

using Verb = http::beast_http::verb;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1'800'000'000'000;
const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(RegistryForHost, EcrStyleHostsNameTheirRegistry) {
  EXPECT_EQ(registry_for_host("123456789012.dkr.ecr.us-west-2.amazonaws.com", "d"),
            "123456789012:us-west-2");
  EXPECT_EQ(registry_for_host("111122223333.dkr.ecr.eu-central-1.localhost:5000", "d"),
            "111122223333:eu-central-1");
  EXPECT_EQ(registry_for_host("111122223333.DKR.ECR.EU-WEST-1.example", "d"),
            "111122223333:eu-west-1");
}

TEST(RegistryForHost, AnythingElseIsTheDefault) {
  for (std::string_view host :
       {"127.0.0.1:5000", "localhost", "", "[::1]:5000", "12345678901.dkr.ecr.us-east-1.x",
        "1234567890123.dkr.ecr.us-east-1.x", "123456789012.dkr.ecr.us-east-1",
        "123456789012.dkr.ecr.us-east-1.", "123456789012.dkr.ecr..x", "123456789012.ecr.us-east-1.x",
        "12345678901a.dkr.ecr.us-east-1.x", "123456789012.dkr.ecr.us_east.x"}) {
    EXPECT_EQ(registry_for_host(host, "123456789012:us-east-1"), "123456789012:us-east-1") << host;
  }
}

TEST(DownloadToken, RoundTripAndTampering) {
  DownloadTokenSigner signer{std::string(kSecret)};
  DownloadClaims claims{"111122223333:eu-west-1", "team/app", kDigest, kNow + 1000};
  std::string token = signer.issue(claims);
  EXPECT_EQ(token.find_first_of("+/=&?% "), std::string::npos) << "must be URL-safe";
  auto back = signer.verify(token, kNow);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->registry_id, claims.registry_id);
  EXPECT_EQ(back->repository, claims.repository);
  EXPECT_EQ(back->digest, claims.digest);

  auto expired = signer.verify(token, kNow + 1000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().detail, auth::kExpiredToken);

  DownloadTokenSigner other{std::string(kSecret) + "x"};
  EXPECT_EQ(other.verify(token, kNow).error().detail, auth::kInvalidToken);
  std::string tampered = token;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer.verify(tampered, kNow));
  EXPECT_FALSE(signer.verify("garbage", kNow));
  EXPECT_FALSE(signer.verify("", kNow));
  EXPECT_THROW(DownloadTokenSigner("short"), std::invalid_argument);
}

class GateTest : public ::testing::Test {
 protected:
  GateTest() {
    settings_.required = true;
    settings_.default_registry_id = "123456789012:us-east-1";
    settings_.realm = "http://127.0.0.1:5000";
    settings_.passwords = std::make_shared<auth::EcrTokenSigner>(std::string(kSecret));
    settings_.downloads = std::make_shared<DownloadTokenSigner>(std::string(kSecret));
  }

  http::Request request(std::string path, Verb method = Verb::get) {
    http::Request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.headers.set("Host", "127.0.0.1:5000");
    return r;
  }

  std::string basic(std::string_view user, std::string_view password) {
    return "Basic " + base64_encode(std::string(user) + ":" + std::string(password));
  }

  std::string password(std::int64_t expires = kNow + 3600'000) {
    return settings_.passwords->issue({"AKID", "111122223333", "eu-west-1", expires});
  }

  Result<RegistryAccess> gate(const http::Request& r) {
    return authorize_registry_request(r, settings_, kNow);
  }

  RegistryAuthSettings settings_;
};

TEST_F(GateTest, NoCredentialsIs401WithBasicChallenge) {
  auto r = request("/v2/");
  auto access = gate(r);
  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().detail, auth::kMissingAuthenticationToken);
  http::Response response = registry_auth_failure_response(access.error(), settings_);
  EXPECT_EQ(response.status, http::beast_http::status::unauthorized);
  EXPECT_EQ(response.headers[http::beast_http::field::www_authenticate],
            "Basic realm=\"http://127.0.0.1:5000\",service=\"ecr.amazonaws.com\"");
  EXPECT_NE(response.body.find("\"UNAUTHORIZED\""), std::string::npos);
}

TEST_F(GateTest, ValidPasswordSelectsTheCallersRegistry) {
  auto r = request("/v2/team/app/manifests/v1");
  r.headers.set("Authorization", basic("AWS", password()));
  auto access = gate(r);
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->registry_id, "111122223333:eu-west-1");
  EXPECT_EQ(access->account_id, "111122223333");
  // An ECR-style Host of the caller's own account selects that registry.
  r.headers.set("Host", "111122223333.dkr.ecr.ap-south-1.localhost:5000");
  EXPECT_EQ(gate(r)->registry_id, "111122223333:ap-south-1");
}

TEST_F(GateTest, PasswordDoesNotOpenAnotherAccountsRegistry) {
  auto r = request("/v2/team/app/manifests/v1");
  r.headers.set("Authorization", basic("AWS", password()));
  r.headers.set("Host", "444455556666.dkr.ecr.ap-south-1.localhost:5000");
  auto access = gate(r);
  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().code, ErrorCode::kDenied);
  http::Response response = registry_auth_failure_response(access.error(), settings_);
  EXPECT_EQ(response.status, http::beast_http::status::forbidden);
  EXPECT_NE(response.body.find("\"DENIED\""), std::string::npos);
}

TEST_F(GateTest, WithPoliciesTheGateLetsOtherRegistriesThroughWithTheIdentity) {
  settings_.cross_account_by_policy = true;
  auth::TokenClaims claims{"AKID", "444455556666", "eu-west-1", kNow + 3600'000, "111122223333",
                           "role/ci"};
  auto r = request("/v2/team/app/manifests/v1");
  r.headers.set("Authorization", basic("AWS", settings_.passwords->issue(claims)));
  auto access = gate(r);
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->registry_id, "444455556666:eu-west-1");
  EXPECT_TRUE(access->authenticated);
  EXPECT_EQ(access->identity.account_id, "111122223333");
  EXPECT_EQ(access->identity.arn(), "arn:aws:iam::111122223333:role/ci");
}

TEST_F(GateTest, APasswordForAnotherRegistryDoesNotOpenItWithoutPolicies) {
  // B's password issued for registryIds=[A]: only a policy could grant it.
  auth::TokenClaims claims{"AKID", "444455556666", "eu-west-1", kNow + 3600'000, "111122223333",
                           "root"};
  auto r = request("/v2/team/app/manifests/v1");
  r.headers.set("Authorization", basic("AWS", settings_.passwords->issue(claims)));
  auto access = gate(r);
  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().code, ErrorCode::kDenied);
}

TEST_F(GateTest, PasswordsOfKeysTheStoreNoLongerHoldsAreRefused) {
  auto store = std::make_shared<auth::CredentialStore>();
  ASSERT_TRUE(store->add(auth::Credential{"AKID", "secret", "111122223333", {}, {}, "user/alice", nullptr}));
  settings_.credentials = store;
  auto r = request("/v2/");
  r.headers.set("Authorization", basic("AWS", settings_.passwords->issue(
                                                  {"AKID", "111122223333", "eu-west-1",
                                                   kNow + 3600'000, "111122223333", "user/alice"})));
  auto access = gate(r);
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->identity.principal, "user/alice");
  r.headers.set("Authorization", basic("AWS", settings_.passwords->issue(
                                                  {"GONE", "111122223333", "eu-west-1",
                                                   kNow + 3600'000, "111122223333", "root"})));
  EXPECT_EQ(gate(r).error().detail, auth::kInvalidToken);
}

TEST_F(GateTest, WrongUserBadPasswordOrOtherSchemeIs401) {
  auto r = request("/v2/");
  r.headers.set("Authorization", basic("admin", password()));
  EXPECT_EQ(gate(r).error().detail, auth::kInvalidToken);
  r.headers.set("Authorization", basic("AWS", "not-a-password"));
  EXPECT_EQ(gate(r).error().detail, auth::kInvalidToken);
  r.headers.set("Authorization", "Bearer abc");
  EXPECT_FALSE(gate(r));
}

TEST_F(GateTest, ExpiredPasswordIsDenied) {
  auto r = request("/v2/");
  r.headers.set("Authorization", basic("AWS", password(kNow - 1)));
  auto access = gate(r);
  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().detail, auth::kExpiredToken);
  http::Response response = registry_auth_failure_response(access.error(), settings_);
  EXPECT_EQ(response.status, http::beast_http::status::unauthorized);
  EXPECT_NE(response.body.find("\"DENIED\""), std::string::npos);
  EXPECT_NE(response.body.find("Your authorization token has expired"), std::string::npos);
}

TEST_F(GateTest, DownloadTokenAdmitsExactlyItsBlob) {
  std::string token = settings_.downloads->issue(
      {"111122223333:eu-west-1", "team/app", kDigest, kNow + 60'000});
  auto good = request("/v2/team/app/blobs/" + kDigest);
  good.query.emplace_back(std::string(kDownloadTokenParameter), token);
  auto access = gate(good);
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->registry_id, "111122223333:eu-west-1");
  EXPECT_TRUE(access->download_token);

  auto head = good;
  head.method = Verb::head;
  EXPECT_TRUE(gate(head));
  auto del = good;
  del.method = Verb::delete_;
  EXPECT_FALSE(gate(del));
  auto other_repo = request("/v2/team/other/blobs/" + kDigest);
  other_repo.query = good.query;
  EXPECT_FALSE(gate(other_repo));
  auto other_blob = request("/v2/team/app/blobs/sha256:" + std::string(64, 'b'));
  other_blob.query = good.query;
  EXPECT_FALSE(gate(other_blob));
  auto manifest = request("/v2/team/app/manifests/" + kDigest);
  manifest.query = good.query;
  EXPECT_FALSE(gate(manifest));
  EXPECT_EQ(blob_download_target("team/app", kDigest, token),
            "/v2/team/app/blobs/" + kDigest + "?X-Berth-Download=" + token);
}

TEST_F(GateTest, AuthOffStillSelectsRegistries) {
  settings_.required = false;
  auto plain = request("/v2/");
  EXPECT_EQ(gate(plain)->registry_id, "123456789012:us-east-1");
  auto bad = request("/v2/");
  bad.headers.set("Authorization", basic("AWS", "junk"));
  EXPECT_EQ(gate(bad)->registry_id, "123456789012:us-east-1");
  auto good = request("/v2/");
  good.headers.set("Authorization", basic("AWS", password()));
  EXPECT_EQ(gate(good)->registry_id, "111122223333:eu-west-1");
  auto host = request("/v2/");
  host.headers.set("Host", "444455556666.dkr.ecr.ap-south-1.localhost");
  EXPECT_EQ(gate(host)->registry_id, "444455556666:ap-south-1");
}

}  // namespace
}  // namespace berth::api::oci
