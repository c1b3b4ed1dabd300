// The published AWS Signature Version 4 test suite ("aws-sig-v4-test-suite",
// formerly https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html;
// files read from the copy in github.com/bazelbuild/bazel
// third_party/aws-sig-v4-test-suite/<name>/<name>.{req,sreq,creq,sts,authz}).
// Every vector uses key AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
// region us-east-1, service "service", time 20150830T123600Z. The request
// data, expected signatures and (where the suite publishes them) canonical
// requests and strings to sign below are transcribed from those files.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "auth/sigv4.hpp"
#include "auth/sigv4_canonical.hpp"
#include "crypto/hasher.hpp"
#include "util/hex.hpp"

namespace berth::auth {
namespace {

constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20150830T123600Z";
constexpr std::string_view kStsToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpS"
    "PfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQ"
    "DYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

struct SuiteVector {
  std::string name;
  std::string method;
  std::string path;  // from the .req request line (unencoded in the suite)
  std::string query;
  HeaderList headers;  // without Authorization
  std::string body;
  std::string signed_headers;
  std::string signature;            // from .authz / .sreq
  std::optional<std::string> creq;  // .creq where published
  std::optional<std::string> sts;   // .sts where published
};

HeaderList base_headers() {
  return {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", std::string(kAmzDate)}};
}

HeaderList with(HeaderList h, std::vector<std::pair<std::string, std::string>> extra) {
  // The suite lists headers in this order: Host, My-Header*, X-Amz-Date.
  HeaderList out;
  out.push_back(h[0]);
  for (auto& e : extra) out.push_back(std::move(e));
  out.push_back(h[1]);
  return out;
}

std::vector<SuiteVector> suite() {
  const std::string empty_hash(kEmptyPayloadSha256);
  std::vector<SuiteVector> v;
  v.push_back({"get-vanilla", "GET", "/", "", base_headers(), "", "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
               "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
               "host;x-amz-date\n" +
                   empty_hash,
               std::nullopt});
  v.push_back({"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
               base_headers(), "", "host;x-amz-date",
               "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", std::nullopt,
               std::nullopt});
  v.push_back({"get-vanilla-query-order-key", "GET", "/", "Param1=value2&Param1=Value1",
               base_headers(), "", "host;x-amz-date",
               "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
               "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\n"
               "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                   empty_hash,
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"});
  v.push_back({"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1",
               base_headers(), "", "host;x-amz-date",
               "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
               "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\n"
               "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                   empty_hash,
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"});
  v.push_back({"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", base_headers(), "",
               "host;x-amz-date",
               "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb", std::nullopt,
               std::nullopt});
  v.push_back({"get-vanilla-query-unreserved", "GET", "/",
               "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
               "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               base_headers(), "", "host;x-amz-date",
               "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197", std::nullopt,
               std::nullopt});
  v.push_back({"get-vanilla-utf8-query", "GET", "/", "\xE1\x88\xB4=bar", base_headers(), "",
               "host;x-amz-date",
               "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04", std::nullopt,
               std::nullopt});
  v.push_back({"get-header-key-duplicate", "GET", "/", "",
               with(base_headers(),
                    {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
               "", "host;my-header1;x-amz-date",
               "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea", std::nullopt,
               std::nullopt});
  v.push_back({"get-header-value-order", "GET", "/", "",
               with(base_headers(), {{"My-Header1", "value4"},
                                     {"My-Header1", "value1"},
                                     {"My-Header1", "value3"},
                                     {"My-Header1", "value2"}}),
               "", "host;my-header1;x-amz-date",
               "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01", std::nullopt,
               std::nullopt});
  v.push_back({"get-header-value-trim", "GET", "/", "",
               with(base_headers(), {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
               "", "host;my-header1;my-header2;x-amz-date",
               "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
               "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
               "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" +
                   empty_hash,
               std::nullopt});
  v.push_back({"get-unreserved", "GET",
               "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "",
               base_headers(), "", "host;x-amz-date",
               "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f", std::nullopt,
               std::nullopt});
  v.push_back({"get-utf8", "GET", "/\xE1\x88\xB4", "", base_headers(), "", "host;x-amz-date",
               "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", std::nullopt,
               std::nullopt});
  // normalize-path/*
  v.push_back({"normalize-path/get-space", "GET", "/example space/", "", base_headers(), "",
               "host;x-amz-date",
               "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741", std::nullopt,
               std::nullopt});
  v.push_back({"normalize-path/get-slashes", "GET", "//example//", "", base_headers(), "",
               "host;x-amz-date",
               "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84", std::nullopt,
               std::nullopt});
  v.push_back({"normalize-path/get-relative-relative", "GET", "/example1/example2/../..", "",
               base_headers(), "", "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", std::nullopt,
               std::nullopt});
  v.push_back({"normalize-path/get-slash-dot-slash", "GET", "/./", "", base_headers(), "",
               "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", std::nullopt,
               std::nullopt});
  v.push_back({"normalize-path/get-slash-pointless-dot", "GET", "/./example", "", base_headers(),
               "", "host;x-amz-date",
               "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5", std::nullopt,
               std::nullopt});
  v.push_back({"post-vanilla", "POST", "/", "", base_headers(), "", "host;x-amz-date",
               "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", std::nullopt,
               std::nullopt});
  v.push_back({"post-vanilla-empty-query-value", "POST", "/", "Param1=value1", base_headers(), "",
               "host;x-amz-date",
               "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11", std::nullopt,
               std::nullopt});
  v.push_back({"post-header-key-sort", "POST", "/", "",
               with(base_headers(), {{"My-Header1", "value1"}}), "", "host;my-header1;x-amz-date",
               "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c", std::nullopt,
               std::nullopt});
  v.push_back({"post-header-value-case", "POST", "/", "",
               with(base_headers(), {{"My-Header1", "VALUE1"}}), "", "host;my-header1;x-amz-date",
               "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d", std::nullopt,
               std::nullopt});
  v.push_back({"post-x-www-form-urlencoded",
               "POST",
               "/",
               "",
               {{"Content-Type", "application/x-www-form-urlencoded"},
                {"Host", "example.amazonaws.com"},
                {"X-Amz-Date", std::string(kAmzDate)}},
               "Param1=value1",
               "content-type;host;x-amz-date",
               "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
               "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
               "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
               "content-type;host;x-amz-date\n"
               "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"});
  v.push_back({"post-x-www-form-urlencoded-parameters",
               "POST",
               "/",
               "",
               {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
                {"Host", "example.amazonaws.com"},
                {"X-Amz-Date", std::string(kAmzDate)}},
               "Param1=value1",
               "content-type;host;x-amz-date",
               "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
               "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n"
               "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
               "content-type;host;x-amz-date\n"
               "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c"});
  return v;
}

std::vector<std::string> split_names(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t semi = joined.find(';', pos);
    out.push_back(joined.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos));
    if (semi == std::string::npos) return out;
    pos = semi + 1;
  }
}

std::string authorization_for(const SuiteVector& v) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" +
         v.signed_headers + ", Signature=" + v.signature;
}

std::int64_t suite_now() { return *parse_amz_date(kAmzDate); }

TEST(SigV4Suite, StepFunctionsReproduceEveryPublishedSignature) {
  for (const auto& v : suite()) {
    SCOPED_TRACE(v.name);
    auto names = split_names(v.signed_headers);
    std::string creq =
        canonical_request(v.method, canonical_uri(v.path), canonical_query(v.query, false),
                          canonical_headers(v.headers, names), signed_headers_string(names),
                          crypto::sha256_hex(v.body));
    if (v.creq) {
      EXPECT_EQ(creq, *v.creq);
    }
    std::string sts =
        string_to_sign(kAmzDate, credential_scope("20150830", "us-east-1", "service"), creq);
    if (v.sts) {
      EXPECT_EQ(sts, *v.sts);
    }
    EXPECT_EQ(signature(signing_key(kSecret, "20150830", "us-east-1", "service"), sts),
              v.signature);
  }
}

TEST(SigV4Suite, VerifierAcceptsEverySignedRequest) {
  CredentialStore store;
  ASSERT_TRUE(store.add({std::string(kAccessKey), std::string(kSecret), "123456789012", {}, {}}));
  VerifyOptions options;
  options.services = {"service"};
  options.now_ms = suite_now();
  for (const auto& v : suite()) {
    SCOPED_TRACE(v.name);
    SigV4Request request{v.method, v.path, v.query, v.headers, crypto::sha256_hex(v.body)};
    request.headers.emplace_back("Authorization", authorization_for(v));
    auto verified = verify(request, store, options);
    ASSERT_TRUE(verified.has_value()) << verified.error().message;
    EXPECT_EQ(verified->access_key_id, kAccessKey);
    EXPECT_EQ(verified->region, "us-east-1");
    EXPECT_EQ(verified->service, "service");

    // The same request with one byte of the signature flipped must fail.
    SuiteVector flipped = v;
    flipped.signature[10] = flipped.signature[10] == '0' ? '1' : '0';
    SigV4Request bad{v.method, v.path, v.query, v.headers, crypto::sha256_hex(v.body)};
    bad.headers.emplace_back("Authorization", authorization_for(flipped));
    auto rejected = verify(bad, store, options);
    ASSERT_FALSE(rejected.has_value());
    EXPECT_EQ(rejected.error().detail, kInvalidSignature);
  }
}

// post-sts-token/post-sts-header-before: the token is signed.
TEST(SigV4Suite, StsHeaderBeforeVerifiesWithSessionCredential) {
  CredentialStore store;
  ASSERT_TRUE(store.add(
      {std::string(kAccessKey), std::string(kSecret), "123456789012", std::string(kStsToken), {}}));
  VerifyOptions options;
  options.services = {"service"};
  options.now_ms = suite_now();
  SigV4Request request{"POST", "/", "", base_headers(), std::string(kEmptyPayloadSha256)};
  request.headers.emplace_back("X-Amz-Security-Token", std::string(kStsToken));
  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date;x-amz-security-token, "
      "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
  auto verified = verify(request, store, options);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
}

// post-sts-token/post-sts-header-after: the token was added after signing.
// Its signature is correct (it equals post-vanilla's), but berth requires
// every x-amz-* header to be signed, so it is refused as incomplete.
TEST(SigV4Suite, StsHeaderAfterIsRefusedBecauseTokenIsUnsigned) {
  CredentialStore store;
  ASSERT_TRUE(store.add(
      {std::string(kAccessKey), std::string(kSecret), "123456789012", std::string(kStsToken), {}}));
  VerifyOptions options;
  options.services = {"service"};
  options.now_ms = suite_now();
  SigV4Request request{"POST", "/", "", base_headers(), std::string(kEmptyPayloadSha256)};
  request.headers.emplace_back("X-Amz-Security-Token", std::string(kStsToken));
  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  auto verified = verify(request, store, options);
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().detail, kIncompleteSignature);
}

// "Derive a signing key for SigV4" example in the AWS General Reference
// (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam).
TEST(SigV4Steps, SigningKeyMatchesDocumentedExample) {
  EXPECT_EQ(to_hex(signing_key(kSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Steps, CanonicalUriNormalizesAndEncodesTwiceForNonS3) {
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/"), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c"), "/a/c");
  EXPECT_EQ(canonical_uri("//a//b//"), "/a/b/");
  EXPECT_EQ(canonical_uri("/.."), "/");
  EXPECT_EQ(canonical_uri("/a/.."), "/");
  // On the wire "%20" is a space; the canonical form encodes it again.
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");
  EXPECT_EQ(canonical_uri("/v2/app/blobs/sha256:ab"), "/v2/app/blobs/sha256%3Aab");
  EXPECT_EQ(canonical_uri("/~user/x-y_z.1"), "/~user/x-y_z.1");
}

TEST(SigV4Steps, CanonicalUriForS3KeepsPathAndEscapes) {
  EXPECT_EQ(canonical_uri("//a//./b", PathStyle::kS3), "//a//./b");
  EXPECT_EQ(canonical_uri("/a%20b", PathStyle::kS3), "/a%20b");
  EXPECT_EQ(canonical_uri("/a b:c", PathStyle::kS3), "/a%20b%3Ac");
  EXPECT_EQ(canonical_uri("/100%", PathStyle::kS3), "/100%25");
}

TEST(SigV4Steps, CanonicalQueryDecodesReencodesAndSorts) {
  EXPECT_EQ(canonical_query("", false), "");
  EXPECT_EQ(canonical_query("Param1", false), "Param1=");
  EXPECT_EQ(canonical_query("b=2&a=1&&a=0", false), "a=0&a=1&b=2");
  EXPECT_EQ(canonical_query("k=a b&s=%2f&p=+", false), "k=a%20b&p=%2B&s=%2F");
  EXPECT_EQ(canonical_query("k=%7e%41", false), "k=~A");
  EXPECT_EQ(canonical_query("A=1&X-Amz-Signature=ab", true), "A=1");
  EXPECT_EQ(canonical_query("A=1&X-Amz-Signature=ab", false), "A=1&X-Amz-Signature=ab");
}

TEST(SigV4Steps, CanonicalHeadersTrimCollapseAndJoin) {
  HeaderList headers = {{"Host", "h"}, {"X-A", "  a \t  b  "}, {"x-a", "c"}, {"Other", "o"}};
  EXPECT_EQ(canonical_headers(headers, {"host", "x-a"}), "host:h\nx-a:a b,c\n");
}

}  // namespace
}  // namespace berth::auth
