// EcrApi's protocol layer end to end, without sockets: requests are built
// in memory, signed with the SigV4 signer, and handle() runs on an
// io_context over a memory-backed Registry.
#include "api/ecr/ecr_api.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "api/ecr/sigv4_adapter.hpp"
#include "auth/sigv4_signer.hpp"
#include "crypto/hasher.hpp"
#include "http/target.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"
#include "util/time.hpp"

namespace berth::api::ecr {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Verb = http::beast_http::verb;

class StringBody final : public http::BodyReader {
 public:
  explicit StringBody(std::string data, bool announce_length = true)
      : data_(std::move(data)), announce_(announce_length) {}
  asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) override {
    std::size_t n = std::min(out.size(), data_.size() - offset_);
    std::copy_n(data_.data() + offset_, n, out.data());
    offset_ += n;
    co_return n;
  }
  asio::awaitable<Result<std::string>> read_all(std::size_t limit) override {
    if (data_.size() - offset_ > limit) co_return fail(ErrorCode::kLimitExceeded, "too large");
    std::string rest = data_.substr(offset_);
    offset_ = data_.size();
    co_return rest;
  }
  std::optional<std::uint64_t> content_length() const override {
    return announce_ ? std::optional<std::uint64_t>(data_.size()) : std::nullopt;
  }
  bool done() const override { return offset_ == data_.size(); }

 private:
  std::string data_;
  bool announce_;
  std::size_t offset_ = 0;
};

constexpr std::string_view kKey = "AKIAEXAMPLEEXAMPLE01";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kPrefix = "AmazonEC2ContainerRegistry_V20150921.";

struct Answer {
  int status = 0;
  json::value body;
  std::string error_type_header;
  std::string request_id;
  std::string content_type;
  std::string type() const {
    return body.is_object() && body.as_object().contains("__type")
               ? std::string(body.at("__type").as_string())
               : std::string();
  }
  std::string message() const {
    return body.is_object() && body.as_object().contains("message")
               ? std::string(body.at("message").as_string())
               : std::string();
  }
};

class EcrApiTest : public ::testing::Test {
 protected:
  EcrApiTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_) {
    auto store = std::make_shared<auth::CredentialStore>();
    EXPECT_TRUE(store->add(auth::Credential{std::string(kKey), std::string(kSecret),
                                            "111122223333", std::nullopt, std::nullopt}));
    credentials_ = store;
  }
  ~EcrApiTest() override { pool_.join(); }

  std::unique_ptr<EcrApi> make_api(EcrAuthMode mode, std::uint64_t body_limit = 1 << 20) {
    EcrApiOptions options;
    options.auth_mode = mode;
    options.credentials = credentials_;
    options.body_limit = body_limit;
    return std::make_unique<EcrApi>(registry_, pool_, EcrSettings{}, EcrServices{}, options);
  }

  // A POST / request for `operation` with `body`; signed when `sign`.
  http::Request post(std::string_view operation, std::string body, bool sign = true,
                     std::string_view secret = kSecret, std::int64_t at_ms = now_ms()) {
    http::Request r;
    r.method = Verb::post;
    r.target = "/";
    r.path = "/";
    r.headers.set("Host", "127.0.0.1:5000");
    r.headers.set("Content-Type", "application/x-amz-json-1.1");
    if (!operation.empty()) r.headers.set("X-Amz-Target", std::string(kPrefix) + std::string(operation));
    if (sign) sign_into(r, body, secret, at_ms);
    bodies_.push_back(std::make_unique<StringBody>(std::move(body)));
    r.body = bodies_.back().get();
    return r;
  }

  http::Request get(std::string target) {
    http::Request r;
    r.method = Verb::get;
    r.target = target;
    auto parsed = http::parse_target(target);
    EXPECT_TRUE(parsed);
    r.path = parsed->path;
    r.query = parsed->query;
    r.headers.set("Host", "127.0.0.1:5000");
    bodies_.push_back(std::make_unique<StringBody>(""));
    r.body = bodies_.back().get();
    return r;
  }

  void sign_into(http::Request& r, std::string_view body, std::string_view secret,
                 std::int64_t at_ms, std::string region = "eu-west-1") {
    auth::Credential c{std::string(kKey), std::string(secret), "111122223333", std::nullopt,
                       std::nullopt};
    auth::SigV4Request to_sign = to_sigv4_request(r, crypto::sha256_hex(body));
    std::string authorization =
        auth::sign_request(to_sign, c, {.region = region, .service = "ecr", .now_ms = at_ms});
    for (const auto& [name, value] : to_sign.headers) {
      if (auth::ascii_lower(name) == "x-amz-date") r.headers.set("X-Amz-Date", value);
    }
    r.headers.set("Authorization", authorization);
  }

  Answer run(EcrApi& api, http::Request& request) {
    asio::io_context io;
    auto future = asio::co_spawn(io, api.handle(request), asio::use_future);
    io.run();
    http::Response response = future.get();
    Answer a;
    a.status = static_cast<int>(response.status);
    boost::system::error_code ec;
    a.body = json::parse(response.body, ec);
    EXPECT_FALSE(ec) << response.body;
    a.error_type_header = std::string(response.headers["X-Amzn-ErrorType"]);
    a.request_id = std::string(response.headers["x-amzn-RequestId"]);
    a.content_type = std::string(response.headers["Content-Type"]);
    return a;
  }

  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  asio::thread_pool pool_{1};
  registry::Registry registry_;
  std::shared_ptr<const auth::CredentialStore> credentials_;
  std::vector<std::unique_ptr<StringBody>> bodies_;
};

// StartImageScan is in the model and (for now) has no handler: a request
// that reaches it has passed authentication, decoding and validation.
constexpr std::string_view kUnimplemented = "StartImageScan";
const std::string kScanInput = R"({"repositoryName":"app","imageId":{"imageTag":"v1"}})";

TEST_F(EcrApiTest, OwnsPostRootAndQueryForm) {
  http::Request p = post("ListImages", "{}", false);
  EXPECT_TRUE(EcrApi::owns(p));
  EXPECT_TRUE(EcrApi::owns(get("/?Action=ListImages")));
  EXPECT_FALSE(EcrApi::owns(get("/")));
  EXPECT_FALSE(EcrApi::owns(get("/v2/")));
}

TEST_F(EcrApiTest, UnknownOperation) {
  auto api = make_api(EcrAuthMode::kNone);
  auto r1 = post("NoSuchOperation", "{}", false);
  Answer a = run(*api, r1);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "UnknownOperationException");
  EXPECT_EQ(a.error_type_header, "UnknownOperationException");
  EXPECT_EQ(a.content_type, "application/x-amz-json-1.1");
  EXPECT_EQ(a.request_id.size(), 36u);

  auto r2 = post("", "{}", false);
  r2.headers.set("X-Amz-Target", "DynamoDB_20120810.ListTables");
  EXPECT_EQ(run(*api, r2).type(), "UnknownOperationException");
  auto r3 = post("", "{}", false);
  EXPECT_EQ(run(*api, r3).type(), "UnknownOperationException");
}

TEST_F(EcrApiTest, UnimplementedOperationIsUnsupported) {
  if (find_operation_handler(kUnimplemented)) GTEST_SKIP() << "StartImageScan is implemented now";
  auto api = make_api(EcrAuthMode::kNone);
  auto r = post(kUnimplemented, kScanInput, false);
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "UnsupportedOperationException");
  EXPECT_EQ(a.message(), "berth does not implement StartImageScan yet");
}

TEST_F(EcrApiTest, MalformedJsonAndWrongContentType) {
  auto api = make_api(EcrAuthMode::kNone);
  auto r1 = post("ListImages", "{\"repositoryName\":", false);
  EXPECT_EQ(run(*api, r1).type(), "SerializationException");
  auto r2 = post("ListImages", "[1,2]", false);
  EXPECT_EQ(run(*api, r2).type(), "SerializationException");
  auto r3 = post("ListImages", R"({"repositoryName":"app"})", false);
  r3.headers.set("Content-Type", "text/plain");
  EXPECT_EQ(run(*api, r3).type(), "SerializationException");
  auto r4 = post("ListImages", R"({"repositoryName":5})", false);
  EXPECT_EQ(run(*api, r4).type(), "SerializationException");
}

TEST_F(EcrApiTest, ValidationNamesTheField) {
  auto api = make_api(EcrAuthMode::kNone);
  auto r = post("ListImages", R"({"repositoryName":"App"})", false);
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "InvalidParameterException");
  EXPECT_NE(a.message().find("repositoryName"), std::string::npos) << a.message();
  auto empty = post("ListImages", "", false);  // empty body = {}: required members missing
  EXPECT_EQ(run(*api, empty).type(), "InvalidParameterException");
}

TEST_F(EcrApiTest, BodyOverTheLimitIs413) {
  auto api = make_api(EcrAuthMode::kNone, 64);
  auto r = post(kUnimplemented, std::string(100, ' '), false);
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.type(), "RequestEntityTooLargeException");
  // Without a Content-Length the limit is found while reading.
  auto chunked = post(kUnimplemented, "", false);
  bodies_.push_back(std::make_unique<StringBody>(std::string(100, ' '), false));
  chunked.body = bodies_.back().get();
  EXPECT_EQ(run(*api, chunked).status, 413);
}

TEST_F(EcrApiTest, SigV4MissingAuthentication) {
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput, false);
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.type(), "MissingAuthenticationTokenException");
}

TEST_F(EcrApiTest, SigV4ValidSignaturePasses) {
  if (find_operation_handler(kUnimplemented)) GTEST_SKIP();
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput);
  EXPECT_EQ(run(*api, r).type(), "UnsupportedOperationException");
}

TEST_F(EcrApiTest, SigV4WrongSecret) {
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput, true, "wrong-secret-wrong-secret-wrong-secret-00");
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.type(), "InvalidSignatureException");
}

TEST_F(EcrApiTest, SigV4StaleDate) {
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput, true, kSecret, now_ms() - 20 * 60 * 1000);
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.type(), "InvalidSignatureException");
  EXPECT_EQ(a.message().rfind("Signature expired: ", 0), 0u) << a.message();
}

TEST_F(EcrApiTest, SigV4TamperedBody) {
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput);
  bodies_.push_back(std::make_unique<StringBody>(R"({"repositoryName":"other","imageId":{"imageTag":"v1"}})"));
  r.body = bodies_.back().get();
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.type(), "InvalidSignatureException");
}

TEST_F(EcrApiTest, SigV4DeclaredPayloadHashMustMatchBody) {
  auto api = make_api(EcrAuthMode::kSigV4);
  http::Request r = post(kUnimplemented, "", false);
  r.headers.set("x-amz-content-sha256", crypto::sha256_hex(kScanInput));
  sign_into(r, kScanInput, kSecret, now_ms());
  bodies_.push_back(std::make_unique<StringBody>(R"({"repositoryName":"evil","imageId":{"imageTag":"v1"}})"));
  r.body = bodies_.back().get();
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.type(), "InvalidSignatureException");
  EXPECT_NE(a.message().find("x-amz-content-sha256"), std::string::npos);
}

TEST_F(EcrApiTest, SigV4UnsignedAmzHeaderIsIncomplete) {
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput);
  r.headers.set("X-Amz-Security-Token", "added-after-signing");
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "IncompleteSignatureException");
}

TEST_F(EcrApiTest, SigV4UnknownKey) {
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post(kUnimplemented, kScanInput);
  std::string authorization(r.header("Authorization"));
  authorization.replace(authorization.find(kKey), kKey.size(), "AKIAUNKNOWNUNKNOWN00");
  r.headers.set("Authorization", authorization);
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.type(), "UnrecognizedClientException");
}

TEST_F(EcrApiTest, QueryFormReachesTheOperation) {
  if (find_operation_handler(kUnimplemented)) GTEST_SKIP();
  auto api = make_api(EcrAuthMode::kNone);
  auto r = get("/?Action=StartImageScan&repositoryName=app&imageId.imageTag=v1");
  EXPECT_EQ(run(*api, r).type(), "UnsupportedOperationException");
  // Only implemented operations get their input checked.
  auto bad = get("/?Action=ListImages&repositoryName=App");
  EXPECT_EQ(run(*api, bad).type(), "InvalidParameterException");
  auto unknown = get("/?Action=Nope");
  EXPECT_EQ(run(*api, unknown).type(), "UnknownOperationException");
}

TEST_F(EcrApiTest, QueryFormWithSigV4Header) {
  if (find_operation_handler(kUnimplemented)) GTEST_SKIP();
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = get("/?Action=StartImageScan&repositoryName=app&imageId.imageTag=v1");
  sign_into(r, "", kSecret, now_ms());
  EXPECT_EQ(run(*api, r).type(), "UnsupportedOperationException");
  auto unsigned_request = get("/?Action=StartImageScan&repositoryName=app&imageId.imageTag=v1");
  EXPECT_EQ(run(*api, unsigned_request).type(), "MissingAuthenticationTokenException");
}

TEST_F(EcrApiTest, QueryFormPresigned) {
  if (find_operation_handler(kUnimplemented)) GTEST_SKIP();
  auto api = make_api(EcrAuthMode::kSigV4);
  auth::Credential c{std::string(kKey), std::string(kSecret), "111122223333", std::nullopt,
                     std::nullopt};
  auth::PresignOptions options;
  options.raw_path = "/";
  options.raw_query = "Action=StartImageScan&repositoryName=app&imageId.imageTag=v1";
  options.host = "127.0.0.1:5000";
  options.region = "us-west-2";
  options.service = "ecr";
  options.now_ms = now_ms();
  auto query = auth::presign_url_query(c, options);
  ASSERT_TRUE(query) << query.error().message;
  auto r = get("/?" + *query);
  EXPECT_EQ(run(*api, r).type(), "UnsupportedOperationException");
}

TEST_F(EcrApiTest, HandlersSeeRepositoryErrorsInEcrWording) {
  if (!find_operation_handler("DescribeImages")) GTEST_SKIP() << "image operations not built";
  auto api = make_api(EcrAuthMode::kSigV4);
  auto r = post("DescribeImages", R"({"repositoryName":"missing"})");
  Answer a = run(*api, r);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type(), "RepositoryNotFoundException");
  EXPECT_NE(a.message().find("111122223333"), std::string::npos) << a.message();
}

TEST(EcrContext, RegistryIsAccountAndRegion) {
  auto blobs = storage::blob::memory::make_memory_blob_store();
  auto meta = storage::meta::memory::make_memory_meta_store();
  asio::thread_pool pool(1);
  registry::Registry registry(*blobs, *meta, pool);
  EcrSettings settings;
  EcrServices services;
  EcrContext ctx{registry, pool, settings, services, Caller{"AKID", "111122223333", "eu-west-1"},
                 "req"};
  json::object input{{"repositoryName", "app"}};
  EXPECT_EQ(registry_id(ctx, input), "111122223333");
  auto ref = repository_ref(ctx, input, "team/app");
  EXPECT_EQ(ref.registry, "111122223333:eu-west-1");
  EXPECT_EQ(ref.name, "team/app");
  input["registryId"] = "444455556666";
  EXPECT_EQ(registry_id(ctx, input), "444455556666");
  EXPECT_EQ(repository_ref(ctx, input, "x").registry, "444455556666:eu-west-1");
  pool.join();
}

}  // namespace
}  // namespace berth::api::ecr
