// ConsoleApi end to end without sockets: requests built in memory, handle()
// run on an io_context over a memory-backed Registry.
#include "api/console/console_api.hpp"

#include <gtest/gtest.h>

#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "api/console/request_checks.hpp"
#include "api/console/responses.hpp"
#include "crypto/hasher.hpp"
#include "http/target.hpp"
#include "policy/document.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::api::console {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Verb = http::beast_http::verb;

constexpr std::string_view kKey = "AKIAEXAMPLEEXAMPLE01";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kOrigin = "http://127.0.0.1:5000";
// A user of the same account whose identity policy lets it read team/app only.
constexpr std::string_view kReaderKey = "AKIAREADER0000000001";
constexpr std::string_view kReaderSecret = "reader-secret";
constexpr std::string_view kReaderPolicy = R"({"Version":"2012-10-17","Statement":[{
  "Effect":"Allow",
  "Action":["ecr:DescribeRepositories","ecr:DescribeImages","ecr:BatchGetImage",
            "ecr:GetLifecyclePolicy"],
  "Resource":"arn:aws:ecr:us-east-1:111122223333:repository/team/app"}]})";

class StringBody final : public http::BodyReader {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
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
  std::optional<std::uint64_t> content_length() const override { return data_.size(); }
  bool done() const override { return offset_ == data_.size(); }

 private:
  std::string data_;
  std::size_t offset_ = 0;
};

class ConsoleApiTest : public ::testing::Test {
 protected:
  ConsoleApiTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_) {
    auto store = std::make_shared<auth::CredentialStore>();
    EXPECT_TRUE(store->add(auth::Credential{std::string(kKey), std::string(kSecret), "111122223333",
                                            std::nullopt, std::nullopt}));
    auto reader_policy = policy::parse_document(kReaderPolicy);
    EXPECT_TRUE(reader_policy) << reader_policy.error().message;
    EXPECT_TRUE(store->add(auth::Credential{
        std::string(kReaderKey), std::string(kReaderSecret), "111122223333", std::nullopt,
        std::nullopt, "user/reader",
        std::make_shared<const policy::Document>(std::move(*reader_policy))}));
    access_ = std::make_shared<access::AccessControl>(registry_);
    ConsoleOptions options;
    options.access = access_;
    options.sign_in = SignInPolicy{true, store, "123456789012"};
    options.default_region = "us-east-1";
    options.public_url = std::string(kOrigin);
    api_ = std::make_unique<ConsoleApi>(registry_, pool_, options);
  }
  ~ConsoleApiTest() override { pool_.join(); }

  http::Request request(Verb method, std::string target, std::string body = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    auto parsed = http::parse_target(target);
    EXPECT_TRUE(parsed);
    r.path = parsed->path;
    r.query = parsed->query;
    r.headers.set("Host", "127.0.0.1:5000");
    if (method != Verb::get) r.headers.set("Origin", kOrigin);
    if (!cookie_.empty()) r.headers.set("Cookie", std::string(kSessionCookie) + "=" + cookie_);
    bodies_.push_back(std::make_unique<StringBody>(std::move(body)));
    r.body = bodies_.back().get();
    return r;
  }

  http::Response run(http::Request& r) {
    asio::io_context io;
    auto future = asio::co_spawn(io, api_->handle(r), asio::use_future);
    io.run();
    return future.get();
  }

  int status(const http::Response& r) { return static_cast<int>(r.status); }

  json::value body(const http::Response& r) { return json::parse(r.body); }

  // Signs in; remembers the cookie and returns the CSRF token.
  std::string sign_in(std::string_view key = kKey, std::string_view secret = kSecret) {
    cookie_.clear();
    http::Request r = request(Verb::post, "/console/api/session",
                              R"({"accessKeyId":")" + std::string(key) +
                                  R"(","secretAccessKey":")" + std::string(secret) + R"("})");
    http::Response response = run(r);
    EXPECT_EQ(status(response), 200) << response.body;
    const std::string set_cookie(response.headers["Set-Cookie"]);
    auto value = cookie_value(set_cookie, kSessionCookie);
    EXPECT_TRUE(value);
    cookie_ = std::string(*value);
    return std::string(body(response).at("csrfToken").as_string());
  }

  oci::Digest put_image(std::string_view repo, std::string_view tag,
                        std::string_view registry = "111122223333:us-east-1") {
    const std::string layer = "sha256:" + crypto::sha256_hex(std::string("layer") + std::string(tag));
    const std::string config = "sha256:" + crypto::sha256_hex(std::string("config") + std::string(tag));
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
        config + R"(","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
        layer + R"(","size":20}]})";
    registry::PutManifestRequest put{*oci::Reference::parse(tag), manifest,
                                     "application/vnd.oci.image.manifest.v1+json", true, {}};
    auto result = registry_.put_manifest({std::string(registry), std::string(repo)}, put);
    EXPECT_TRUE(result) << result.error().message;
    return result->digest;
  }

  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  asio::thread_pool pool_{1};
  registry::Registry registry_;
  std::shared_ptr<access::AccessControl> access_;
  std::unique_ptr<ConsoleApi> api_;
  std::vector<std::unique_ptr<StringBody>> bodies_;
  std::string cookie_;
};

TEST_F(ConsoleApiTest, OwnsOnlyTheConsolePaths) {
  http::Request r = request(Verb::get, "/console");
  EXPECT_TRUE(ConsoleApi::owns(r));
  r = request(Verb::get, "/console/api/session");
  EXPECT_TRUE(ConsoleApi::owns(r));
  r = request(Verb::get, "/consoles");
  EXPECT_FALSE(ConsoleApi::owns(r));
  r = request(Verb::get, "/v2/");
  EXPECT_FALSE(ConsoleApi::owns(r));
}

TEST_F(ConsoleApiTest, ThePageIsServedWithCspAndEtagAndRevalidates) {
  http::Request r = request(Verb::get, "/console/");
  http::Response page = run(r);
  EXPECT_EQ(status(page), 200);
  EXPECT_EQ(std::string(page.headers["Content-Type"]), "text/html; charset=utf-8");
  EXPECT_EQ(std::string(page.headers["Content-Security-Policy"]), kContentSecurityPolicy);
  EXPECT_EQ(std::string(page.headers["Cache-Control"]), "no-cache");
  const std::string etag(page.headers["ETag"]);
  ASSERT_FALSE(etag.empty());
  http::Request again = request(Verb::get, "/console");
  again.headers.set("If-None-Match", etag);
  http::Response not_modified = run(again);
  EXPECT_EQ(status(not_modified), 304);
  EXPECT_TRUE(not_modified.body.empty());
  http::Request script = request(Verb::get, "/console/assets/app.js");
  EXPECT_EQ(std::string(run(script).headers["Content-Type"]), "text/javascript; charset=utf-8");
  http::Request missing = request(Verb::get, "/console/assets/nope.js");
  EXPECT_EQ(status(run(missing)), 404);
}

TEST_F(ConsoleApiTest, WrongCredentialsAreRefusedWithOneMessage) {
  http::Request r = request(Verb::post, "/console/api/session",
                            R"({"accessKeyId":")" + std::string(kKey) + R"(","secretAccessKey":"wrong"})");
  http::Response response = run(r);
  EXPECT_EQ(status(response), 401);
  EXPECT_EQ(std::string_view(body(response).at("message").as_string()), kSignInRefused);
  EXPECT_TRUE(std::string(response.headers["Set-Cookie"]).empty());
}

TEST_F(ConsoleApiTest, SignInSetsAStrictHttpOnlyCookieAndTheSessionIsTheKeys) {
  sign_in();
  http::Request r = request(Verb::get, "/console/api/session");
  http::Response response = run(r);
  ASSERT_EQ(status(response), 200);
  EXPECT_EQ(std::string_view(body(response).at("accountId").as_string()), "111122223333");
  EXPECT_EQ(std::string_view(body(response).at("accessKeyId").as_string()), kKey);
}

TEST_F(ConsoleApiTest, ApiCallsWithoutASessionAreUnauthorized) {
  http::Request r = request(Verb::get, "/console/api/repositories");
  EXPECT_EQ(status(run(r)), 401);
  cookie_ = "0000";
  r = request(Verb::get, "/console/api/repositories");
  EXPECT_EQ(status(run(r)), 401);
}

TEST_F(ConsoleApiTest, StateChangesNeedTheCsrfTokenAndTheOwnOrigin) {
  const std::string csrf = sign_in();
  const oci::Digest digest = put_image("team/app", "v1");
  const std::string target = "/console/api/image?name=team%2Fapp&digest=" + digest.str();

  http::Request no_token = request(Verb::delete_, target);
  EXPECT_EQ(status(run(no_token)), 403);

  http::Request wrong_token = request(Verb::delete_, target);
  wrong_token.headers.set(kCsrfHeader, std::string(64, '0'));
  EXPECT_EQ(status(run(wrong_token)), 403);

  http::Request foreign = request(Verb::delete_, target);
  foreign.headers.set(kCsrfHeader, csrf);
  foreign.headers.set("Origin", "http://evil.example");
  EXPECT_EQ(status(run(foreign)), 403);

  http::Request no_origin = request(Verb::delete_, target);
  no_origin.headers.set(kCsrfHeader, csrf);
  no_origin.headers.erase("Origin");
  EXPECT_EQ(status(run(no_origin)), 403);

  // Still there after all of them.
  http::Request images = request(Verb::get, "/console/api/images?name=team%2Fapp");
  EXPECT_EQ(body(run(images)).at("images").as_array().size(), 1u);

  http::Request good = request(Verb::delete_, target);
  good.headers.set(kCsrfHeader, csrf);
  EXPECT_EQ(status(run(good)), 204);
  images = request(Verb::get, "/console/api/images?name=team%2Fapp");
  EXPECT_EQ(body(run(images)).at("images").as_array().size(), 0u);
}

TEST_F(ConsoleApiTest, SignOutEndsTheSession) {
  const std::string csrf = sign_in();
  http::Request out = request(Verb::delete_, "/console/api/session");
  out.headers.set(kCsrfHeader, csrf);
  http::Response response = run(out);
  EXPECT_EQ(status(response), 204);
  EXPECT_NE(std::string(response.headers["Set-Cookie"]).find("Max-Age=0"), std::string::npos);
  http::Request after = request(Verb::get, "/console/api/session");
  EXPECT_EQ(status(run(after)), 401);
}

TEST_F(ConsoleApiTest, BrowsesRepositoriesImagesAndOneImage) {
  sign_in();
  const oci::Digest digest = put_image("team/app", "v1");
  put_image("team/web", "v2");
  // Another account's repository never shows.
  ASSERT_TRUE(registry_.create_repository({"999988887777:us-east-1", "team/secret"}, "{}"));

  http::Request list = request(Verb::get, "/console/api/repositories?q=team&match=prefix");
  json::value repos = body(run(list));
  ASSERT_EQ(repos.at("repositories").as_array().size(), 2u);
  EXPECT_EQ(repos.at("repositories").at(0).at("name").as_string(), "team/app");
  EXPECT_EQ(repos.at("repositories").at(0).at("uri").as_string(), "127.0.0.1:5000/team/app");

  list = request(Verb::get, "/console/api/repositories?q=web");
  EXPECT_EQ(body(run(list)).at("repositories").as_array().size(), 1u);

  http::Request image = request(Verb::get, "/console/api/image?name=team%2Fapp&digest=" + digest.str());
  json::value detail = body(run(image));
  EXPECT_EQ(detail.at("tags").at(0).as_string(), "v1");
  EXPECT_EQ(detail.at("layers").as_array().size(), 1u);
  EXPECT_TRUE(detail.at("manifest").is_string());

  http::Request repo = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  json::value settings = body(run(repo));
  EXPECT_EQ(settings.at("tagMutability").as_string(), "MUTABLE");
  EXPECT_TRUE(settings.at("lifecyclePolicy").is_null());

  http::Request other = request(Verb::get, "/console/api/repository?name=team%2Fsecret");
  EXPECT_EQ(status(run(other)), 404);
  http::Request bad = request(Verb::get, "/console/api/repository?name=Bad..Name");
  EXPECT_EQ(status(run(bad)), 400);
}

TEST_F(ConsoleApiTest, ImagesComeInPagesThatCoverTheRepositoryOnce) {
  sign_in();
  std::set<std::string> pushed;
  for (int i = 0; i < 5; ++i) pushed.insert(put_image("team/app", "v" + std::to_string(i)).str());

  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  for (; pages < 10; ++pages) {
    http::Request r = request(Verb::get, "/console/api/images?name=team%2Fapp&limit=2&after=" + after);
    http::Response response = run(r);
    ASSERT_EQ(status(response), 200) << response.body;
    json::value page = body(response);
    EXPECT_LE(page.at("images").as_array().size(), 2u);
    for (const json::value& image : page.at("images").as_array()) {
      EXPECT_TRUE(seen.insert(std::string(image.at("digest").as_string())).second)
          << "an image on two pages";
    }
    if (page.at("next").is_null()) break;
    after = std::string(page.at("next").as_string());
  }
  EXPECT_EQ(seen, pushed);
  EXPECT_EQ(pages, 2);  // 2 + 2 + 1: the third page is the last, and says so

  // Exactly a page's worth: no empty page after it.
  put_image("team/app", "v5");
  http::Request r = request(Verb::get, "/console/api/images?name=team%2Fapp&limit=6");
  EXPECT_TRUE(body(run(r)).at("next").is_null());
}

TEST_F(ConsoleApiTest, ImagesInTagOrderAreOneRowPerTagPagedOnTheTagIndex) {
  sign_in();
  const oci::Digest b = put_image("team/app", "b");
  const oci::Digest a = put_image("team/app", "a");
  // A second tag on b's image, and an untagged image (no tag: no row).
  registry::PutManifestRequest retag{*oci::Reference::parse("c"), "", "", true, {}};
  auto b_record = registry_.get_manifest({"111122223333:us-east-1", "team/app"},
                                         oci::Reference::of_digest(b), false);
  ASSERT_TRUE(b_record);
  retag.content = b_record->content;
  retag.content_type = b_record->media_type;
  ASSERT_TRUE(registry_.put_manifest({"111122223333:us-east-1", "team/app"}, retag));
  put_image("team/app", "gone");
  ASSERT_TRUE(registry_.delete_manifest({"111122223333:us-east-1", "team/app"},
                                        *oci::Reference::parse("gone")));  // only the tag goes

  std::vector<std::string> rows;  // "tag=digest"
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    http::Request r =
        request(Verb::get, "/console/api/images?name=team%2Fapp&order=tag&limit=2&after=" + after);
    http::Response response = run(r);
    ASSERT_EQ(status(response), 200) << response.body;
    json::value page = body(response);
    for (const json::value& image : page.at("images").as_array()) {
      rows.push_back(std::string(image.at("tag").as_string()) + "=" +
                     std::string(image.at("digest").as_string()));
      if (image.at("tag").as_string() == "c") {
        // The row carries every tag of its image.
        EXPECT_EQ(image.at("tags").as_array().size(), 2u);
      }
    }
    if (page.at("next").is_null()) break;
    after = std::string(page.at("next").as_string());
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"a=" + a.str(), "b=" + b.str(), "c=" + b.str()}));

  http::Request bad = request(Verb::get, "/console/api/images?name=team%2Fapp&order=pushed");
  EXPECT_EQ(status(run(bad)), 400);
}


// Keeps the newest image; the rest expire.
constexpr std::string_view kKeepOnePolicy =
    R"({"rules":[{"rulePriority":1,"description":"keep the newest image only",)"
    R"("selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},)"
    R"("action":{"type":"expire"}}]})";

TEST_F(ConsoleApiTest, LifecyclePolicyIsSavedAndPreviewedAsTheEcrCallsDo) {
  for (int i = 0; i < 3; ++i) put_image("team/app", "v" + std::to_string(i));
  const auto call = [&](Verb verb, std::string_view route, std::string_view csrf,
                        std::string_view policy) {
    json::object body{{"lifecyclePolicyText", policy}};
    http::Request r = request(verb, "/console/api/repository/" + std::string(route) + "?name=team%2Fapp",
                              json::serialize(body));
    if (!csrf.empty()) r.headers.set(kCsrfHeader, std::string(csrf));
    return run(r);
  };

  // The reader may read the policy but neither save nor preview one.
  std::string csrf = sign_in(kReaderKey, kReaderSecret);
  http::Request r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  json::value page = body(run(r));
  EXPECT_FALSE(page.at("permissions").at("putLifecyclePolicy").as_bool());
  EXPECT_FALSE(page.at("permissions").at("startLifecyclePolicyPreview").as_bool());
  http::Response refused = call(Verb::put, "lifecycle-policy", csrf, kKeepOnePolicy);
  EXPECT_EQ(status(refused), 403);
  EXPECT_NE(refused.body.find("ecr:PutLifecyclePolicy"), std::string::npos) << refused.body;
  refused = call(Verb::post, "lifecycle-policy/preview", csrf, kKeepOnePolicy);
  EXPECT_EQ(status(refused), 403);
  EXPECT_NE(refused.body.find("ecr:StartLifecyclePolicyPreview"), std::string::npos) << refused.body;

  csrf = sign_in();
  // Without the CSRF token, nothing.
  EXPECT_EQ(status(call(Verb::put, "lifecycle-policy", "", kKeepOnePolicy)), 403);
  // PutLifecyclePolicy's validator: the same refusal.
  http::Response invalid = call(Verb::put, "lifecycle-policy", csrf, R"({"rules":[]})");
  EXPECT_EQ(status(invalid), 400);
  EXPECT_NE(invalid.body.find("Lifecycle policy validation failure"), std::string::npos)
      << invalid.body;
  EXPECT_EQ(status(call(Verb::post, "lifecycle-policy/preview", csrf, "not json")), 400);

  // The preview: two of three images would expire; nothing changes.
  http::Response preview = call(Verb::post, "lifecycle-policy/preview", csrf, kKeepOnePolicy);
  ASSERT_EQ(status(preview), 200) << preview.body;
  json::value shown = body(preview);
  EXPECT_EQ(shown.at("summary").at("expiringImageTotalCount").as_int64(), 2);
  ASSERT_EQ(shown.at("previewResults").as_array().size(), 2u);
  EXPECT_EQ(shown.at("previewResults").at(0).at("action").at("type").as_string(), "EXPIRE");
  EXPECT_EQ(shown.at("total").as_int64(), 2);
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  EXPECT_TRUE(body(run(r)).at("lifecyclePolicy").is_null());
  r = request(Verb::get, "/console/api/images?name=team%2Fapp");
  EXPECT_EQ(body(run(r)).at("images").as_array().size(), 3u);

  // Saving: the repository then holds it, as GetLifecyclePolicy would read it.
  http::Response saved = call(Verb::put, "lifecycle-policy", csrf, kKeepOnePolicy);
  ASSERT_EQ(status(saved), 200) << saved.body;
  EXPECT_EQ(body(saved).at("lifecyclePolicy").as_string(), kKeepOnePolicy);
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  page = body(run(r));
  EXPECT_EQ(page.at("lifecyclePolicy").as_string(), kKeepOnePolicy);
  EXPECT_TRUE(page.at("permissions").at("putLifecyclePolicy").as_bool());
  EXPECT_TRUE(page.at("permissions").at("deleteLifecyclePolicy").as_bool());
}

TEST_F(ConsoleApiTest, DeletingTheLifecyclePolicyIsDeleteLifecyclePolicy) {
  put_image("team/app", "v1");
  const auto call = [&](Verb verb, std::string_view csrf, std::string_view payload = {}) {
    http::Request r = request(verb, "/console/api/repository/lifecycle-policy?name=team%2Fapp",
                              std::string(payload));
    if (!csrf.empty()) r.headers.set(kCsrfHeader, std::string(csrf));
    return run(r);
  };
  std::string csrf = sign_in();
  // None stored: ECR's exception, named as the ECR API names it.
  http::Response none = call(Verb::delete_, csrf);
  EXPECT_EQ(status(none), 404) << none.body;
  EXPECT_EQ(body(none).at("error").as_string(), "LifecyclePolicyNotFoundException");
  EXPECT_NE(none.body.find("team/app"), std::string::npos) << none.body;
  const std::string saved_body =
      json::serialize(json::object{{"lifecyclePolicyText", kKeepOnePolicy}});
  ASSERT_EQ(status(call(Verb::put, csrf, saved_body)), 200);

  // The reader may not delete it, and the page says so up front.
  std::string reader_csrf = sign_in(kReaderKey, kReaderSecret);
  http::Request r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  EXPECT_FALSE(body(run(r)).at("permissions").at("deleteLifecyclePolicy").as_bool());
  http::Response refused = call(Verb::delete_, reader_csrf);
  EXPECT_EQ(status(refused), 403);
  EXPECT_NE(refused.body.find("ecr:DeleteLifecyclePolicy"), std::string::npos) << refused.body;

  csrf = sign_in();
  EXPECT_EQ(status(call(Verb::delete_, "")), 403);  // no CSRF token, no change
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  EXPECT_EQ(body(run(r)).at("lifecyclePolicy").as_string(), kKeepOnePolicy);

  http::Response deleted = call(Verb::delete_, csrf);
  ASSERT_EQ(status(deleted), 200) << deleted.body;
  EXPECT_TRUE(body(deleted).at("lifecyclePolicy").is_null());
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  EXPECT_TRUE(body(run(r)).at("lifecyclePolicy").is_null());
  EXPECT_EQ(status(call(Verb::delete_, csrf)), 404);  // and it stays gone
}

// ---- policies: the same decisions as the ECR API ----

std::string names_of(const json::value& page) {
  std::string names;
  for (const json::value& repo : page.at("repositories").as_array()) {
    names += std::string(repo.at("name").as_string()) + " ";
  }
  return names;
}

TEST_F(ConsoleApiTest, TheSessionIsThePrincipalOfTheKey) {
  sign_in(kReaderKey, kReaderSecret);
  http::Request r = request(Verb::get, "/console/api/session");
  json::value session = body(run(r));
  EXPECT_EQ(session.at("principalArn").as_string(), "arn:aws:iam::111122223333:user/reader");
  sign_in();
  r = request(Verb::get, "/console/api/session");
  EXPECT_EQ(body(run(r)).at("principalArn").as_string(), "arn:aws:iam::111122223333:root");
}

TEST_F(ConsoleApiTest, ANarrowIdentityPolicyListsOnlyWhatItMayDescribeAndPagesStayRight) {
  put_image("team/aaa", "v1");
  put_image("team/app", "v1");
  put_image("team/web", "v1");
  put_image("zeta", "v1");
  sign_in(kReaderKey, kReaderSecret);
  http::Request list = request(Verb::get, "/console/api/repositories");
  json::value page = body(run(list));
  EXPECT_EQ(names_of(page), "team/app ");
  EXPECT_TRUE(page.at("next").is_null());
  // One to a page: the hidden names before and after do not end the walk
  // early nor leak into a page.
  list = request(Verb::get, "/console/api/repositories?limit=1");
  page = body(run(list));
  EXPECT_EQ(names_of(page), "team/app ");
  ASSERT_TRUE(page.at("next").is_string());
  list = request(Verb::get, "/console/api/repositories?limit=1&after=" +
                                std::string(page.at("next").as_string()).replace(4, 1, "%2F"));
  page = body(run(list));
  EXPECT_EQ(names_of(page), "");
  EXPECT_TRUE(page.at("next").is_null());

  sign_in();  // the root sees all four
  list = request(Verb::get, "/console/api/repositories");
  EXPECT_EQ(names_of(body(run(list))), "team/aaa team/app team/web zeta ");
}

TEST_F(ConsoleApiTest, EachCallIsDecidedAsItsEcrAction) {
  const oci::Digest app = put_image("team/app", "v1");
  const oci::Digest web = put_image("team/web", "v1");
  const std::string csrf = sign_in(kReaderKey, kReaderSecret);

  // Allowed by the identity policy on team/app.
  http::Request r = request(Verb::get, "/console/api/images?name=team%2Fapp");
  EXPECT_EQ(status(run(r)), 200);
  r = request(Verb::get, "/console/api/image?name=team%2Fapp&digest=" + app.str());
  EXPECT_EQ(status(run(r)), 200);
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  json::value settings = body(run(r));
  EXPECT_TRUE(settings.at("lifecyclePolicy").is_null());
  EXPECT_FALSE(settings.as_object().contains("lifecyclePolicyDenied"));
  // GetRepositoryPolicy is not granted: the page says so instead of failing.
  EXPECT_NE(std::string(settings.at("repositoryPolicyDenied").as_string())
                .find("ecr:GetRepositoryPolicy"),
            std::string::npos);

  // Nothing on team/web, and no delete anywhere.
  const auto expect_denied = [&](http::Request denied, std::string_view action) {
    http::Response response = run(denied);
    EXPECT_EQ(status(response), 403) << denied.target;
    json::value error = body(response);
    EXPECT_EQ(error.at("error").as_string(), "AccessDeniedException");
    const std::string message(error.at("message").as_string());
    EXPECT_TRUE(message.starts_with("User: arn:aws:iam::111122223333:user/reader is not "
                                    "authorized to perform: " + std::string(action)))
        << message;
  };
  expect_denied(request(Verb::get, "/console/api/images?name=team%2Fweb"), "ecr:DescribeImages");
  expect_denied(request(Verb::get, "/console/api/image?name=team%2Fweb&digest=" + web.str()),
                "ecr:BatchGetImage");
  expect_denied(request(Verb::get, "/console/api/repository?name=team%2Fweb"),
                "ecr:DescribeRepositories");
  http::Request del = request(Verb::delete_, "/console/api/image?name=team%2Fapp&digest=" + app.str());
  del.headers.set(kCsrfHeader, csrf);
  expect_denied(std::move(del), "ecr:BatchDeleteImage");

  // The root still may; the image was not touched by the refusal.
  const std::string root_csrf = sign_in();
  del = request(Verb::delete_, "/console/api/image?name=team%2Fapp&digest=" + app.str());
  del.headers.set(kCsrfHeader, root_csrf);
  EXPECT_EQ(status(run(del)), 204);
}

TEST_F(ConsoleApiTest, ARepositoryPolicyDenyBindsTheRootToo) {
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",)"
      R"("Action":["ecr:BatchDeleteImage","ecr:GetLifecyclePolicy"]}]})";
  json::object settings{{"repositoryPolicy", policy}};
  ASSERT_TRUE(registry_.create_repository({"111122223333:us-east-1", "locked"},
                                          json::serialize(settings)));
  const oci::Digest digest = put_image("locked", "v1");
  const std::string csrf = sign_in();
  http::Request r = request(Verb::get, "/console/api/repository?name=locked");
  json::value page = body(run(r));
  EXPECT_TRUE(page.at("lifecyclePolicyDenied").is_string());
  EXPECT_EQ(page.at("repositoryPolicy").as_string(), policy);
  http::Request del = request(Verb::delete_, "/console/api/image?name=locked&digest=" + digest.str());
  del.headers.set(kCsrfHeader, csrf);
  http::Response refused = run(del);
  EXPECT_EQ(status(refused), 403);
  EXPECT_NE(refused.body.find("explicit deny in a resource-based policy"), std::string::npos)
      << refused.body;
}

TEST_F(ConsoleApiTest, ARepositoryPolicyGrantLetsTheUserIn) {
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
      R"("Principal":{"AWS":"arn:aws:iam::111122223333:user/reader"},)"
      R"("Action":["ecr:DescribeRepositories","ecr:ListImages","ecr:BatchDeleteImage"]}]})";
  json::object settings{{"repositoryPolicy", policy}};
  ASSERT_TRUE(registry_.create_repository({"111122223333:us-east-1", "shared"},
                                          json::serialize(settings)));
  const oci::Digest digest = put_image("shared", "v1");
  const std::string csrf = sign_in(kReaderKey, kReaderSecret);
  http::Request list = request(Verb::get, "/console/api/repositories?q=shared");
  EXPECT_EQ(names_of(body(run(list))), "shared ");
  // ListImages is enough for the image list.
  http::Request images = request(Verb::get, "/console/api/images?name=shared");
  EXPECT_EQ(status(run(images)), 200);
  http::Request del = request(Verb::delete_, "/console/api/image?name=shared&digest=" + digest.str());
  del.headers.set(kCsrfHeader, csrf);
  EXPECT_EQ(status(run(del)), 204);
}

// Another account's registry, as the ECR API's registryId reaches it: only
// what its repository policies grant is listed or usable.
TEST_F(ConsoleApiTest, AnotherAccountsRepositoriesAreReachableAsTheirPoliciesAllow) {
  constexpr std::string_view kOther = "444455556666:us-east-1";
  const std::string grant =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
      R"("Principal":{"AWS":"arn:aws:iam::111122223333:root"},)"
      R"("Action":["ecr:DescribeRepositories","ecr:ListImages","ecr:BatchGetImage"]}]})";
  ASSERT_TRUE(registry_.create_repository({std::string(kOther), "opened"},
                                          json::serialize(json::object{{"repositoryPolicy", grant}})));
  const oci::Digest opened = put_image("opened", "v1", kOther);
  const oci::Digest closed = put_image("closed", "v1", kOther);
  const std::string csrf = sign_in();

  http::Request r = request(Verb::get, "/console/api/repositories?registryId=444455556666");
  json::value page = body(run(r));
  EXPECT_EQ(names_of(page), "opened ");
  EXPECT_EQ(page.at("repositories").at(0).at("registryId").as_string(), "444455556666");
  r = request(Verb::get, "/console/api/images?registryId=444455556666&name=opened");
  http::Response images = run(r);
  ASSERT_EQ(status(images), 200) << images.body;
  EXPECT_EQ(body(images).at("images").at(0).at("digest").as_string(), opened.str());
  r = request(Verb::get, "/console/api/image?registryId=444455556666&name=opened&digest=" +
                             opened.str());
  EXPECT_EQ(status(run(r)), 200);
  r = request(Verb::get, "/console/api/repository?registryId=444455556666&name=opened");
  json::value repo = body(run(r));
  EXPECT_FALSE(repo.at("permissions").at("deleteImage").as_bool());

  // Not granted: the other repository, a missing one, deleting.
  const auto expect_denied = [&](http::Request denied) {
    http::Response response = run(denied);
    EXPECT_EQ(status(response), 403) << denied.target << " " << response.body;
    EXPECT_EQ(body(response).at("error").as_string(), "AccessDeniedException");
  };
  expect_denied(request(Verb::get, "/console/api/images?registryId=444455556666&name=closed"));
  expect_denied(request(Verb::get, "/console/api/image?registryId=444455556666&name=closed&digest=" +
                                       closed.str()));
  expect_denied(request(Verb::get, "/console/api/repository?registryId=444455556666&name=missing"));
  http::Request del = request(
      Verb::delete_, "/console/api/image?registryId=444455556666&name=opened&digest=" + opened.str());
  del.headers.set(kCsrfHeader, csrf);
  expect_denied(std::move(del));
  EXPECT_TRUE(registry_.get_manifest({std::string(kOther), "opened"},
                                     oci::Reference::of_digest(opened), false));

  // The owner's registry is still the default, and a registry id is 12 digits.
  r = request(Verb::get, "/console/api/repositories");
  EXPECT_EQ(names_of(body(run(r))), "");
  r = request(Verb::get, "/console/api/repositories?registryId=4444");
  EXPECT_EQ(status(run(r)), 400);
}

TEST_F(ConsoleApiTest, ChangingTagMutabilityIsPutImageTagMutability) {
  put_image("team/app", "v1");
  const auto put = [&](std::string_view csrf, std::string_view mode) {
    http::Request r = request(Verb::put, "/console/api/repository/tag-mutability?name=team%2Fapp",
                              R"({"imageTagMutability":")" + std::string(mode) + R"("})");
    r.headers.set(kCsrfHeader, std::string(csrf));
    return run(r);
  };
  // The reader may look but not change it; the page says so beforehand.
  std::string csrf = sign_in(kReaderKey, kReaderSecret);
  http::Request r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  json::value page = body(run(r));
  EXPECT_FALSE(page.at("permissions").at("putImageTagMutability").as_bool());
  EXPECT_FALSE(page.at("permissions").at("deleteImage").as_bool());
  http::Response refused = put(csrf, "IMMUTABLE");
  EXPECT_EQ(status(refused), 403);
  EXPECT_NE(refused.body.find("ecr:PutImageTagMutability"), std::string::npos) << refused.body;

  csrf = sign_in();
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  page = body(run(r));
  EXPECT_TRUE(page.at("permissions").at("putImageTagMutability").as_bool());
  EXPECT_EQ(page.at("tagMutability").as_string(), "MUTABLE");
  EXPECT_EQ(status(put(csrf, "SOMETIMES")), 400);
  http::Response saved = put(csrf, "IMMUTABLE");
  ASSERT_EQ(status(saved), 200) << saved.body;
  EXPECT_EQ(body(saved).at("tagMutability").as_string(), "IMMUTABLE");
  r = request(Verb::get, "/console/api/repository?name=team%2Fapp");
  EXPECT_EQ(body(run(r)).at("tagMutability").as_string(), "IMMUTABLE");
  // And the core holds it: the tag no longer moves.
  EXPECT_FALSE(registry_.put_manifest(
      {"111122223333:us-east-1", "team/app"},
      registry::PutManifestRequest{*oci::Reference::parse("v1"),
                                   R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
                                       crypto::sha256_hex("other") +
                                       R"(","size":1},"layers":[]})",
                                   "application/vnd.oci.image.manifest.v1+json", true, {}}));
}

}  // namespace
}  // namespace berth::api::console
