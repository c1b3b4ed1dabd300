// Drives OciApi::handle end to end over the memory backends: routing, the
// handlers, offload to the blocking pool and the error table together.
#include "api/oci/oci_api.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "crypto/hasher.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::api::oci {
namespace {

namespace asio = boost::asio;
using Verb = http::beast_http::verb;
using HttpStatus = http::beast_http::status;

// A request body served from a string, in pieces of at most `piece` bytes.
class StringBody final : public http::BodyReader {
 public:
  StringBody(std::string data, bool with_length, std::size_t piece = 7)
      : data_(std::move(data)), with_length_(with_length), piece_(piece) {}
  asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) override {
    const std::size_t n = std::min({out.size(), data_.size() - pos_, piece_});
    std::copy_n(data_.data() + pos_, n, out.data());
    pos_ += n;
    co_return n;
  }
  asio::awaitable<Result<std::string>> read_all(std::size_t limit) override {
    if (data_.size() - pos_ > limit) co_return fail(ErrorCode::kLimitExceeded, "body too large");
    std::string rest = data_.substr(pos_);
    pos_ = data_.size();
    co_return rest;
  }
  std::optional<std::uint64_t> content_length() const override {
    return with_length_ ? std::optional<std::uint64_t>(data_.size()) : std::nullopt;
  }
  bool done() const override { return pos_ == data_.size(); }

 private:
  std::string data_;
  bool with_length_;
  std::size_t piece_;
  std::size_t pos_ = 0;
};

std::string sha256_of(std::string_view bytes) { return "sha256:" + crypto::sha256_hex(bytes); }

struct Call {
  Verb method = Verb::get;
  std::string target;  // path?k=v&k=v (no encoding)
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  bool with_length = true;
};

class OciApiTest : public ::testing::Test {
 protected:
  OciApiTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_),
        api_(registry_, pool_, OciApiOptions{"default", 1024, nullptr, 3}) {}
  ~OciApiTest() override { pool_.join(); }

  http::Response call(const Call& c) {
    http::Request request;
    request.method = c.method;
    request.target = c.target;
    const std::size_t q = c.target.find('?');
    request.path = c.target.substr(0, q);
    if (q != std::string::npos) {
      std::string_view rest = std::string_view(c.target).substr(q + 1);
      while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        std::string_view item = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        const std::size_t eq = item.find('=');
        request.query.emplace_back(std::string(item.substr(0, eq)),
                                   eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1)));
      }
    }
    for (const auto& [k, v] : c.headers) request.headers.insert(k, v);
    std::optional<StringBody> body;
    if (c.body) {
      body.emplace(*c.body, c.with_length);
      request.body = &*body;
    }
    auto future = asio::co_spawn(io_, api_.handle(request), asio::use_future);
    io_.restart();
    io_.run();
    http::Response response = future.get();
    EXPECT_EQ(response.headers["Docker-Distribution-API-Version"], "registry/2.0");
    if (response.stream) {
      // A streamed body (the memory store has no descriptors), read as the
      // server would send it.
      auto drained = asio::co_spawn(
          io_,
          [&]() -> asio::awaitable<std::string> {
            std::string out;
            char piece[7];  // small, so the stream is read in many steps
            for (;;) {
              auto n = co_await response.stream->read_some(piece);
              EXPECT_TRUE(n.has_value());
              if (!n || *n == 0) break;
              out.append(piece, *n);
            }
            co_return out;
          },
          asio::use_future);
      io_.restart();
      io_.run();
      response.body = drained.get();
      EXPECT_EQ(response.body.size(), response.stream->length);
      response.stream.reset();
    }
    return response;
  }

  static std::string header(const http::Response& r, std::string_view name) {
    return std::string(r.headers[name]);
  }
  static std::string error_code(const http::Response& r) {
    const auto v = boost::json::parse(r.body);
    return std::string(v.at("errors").as_array().at(0).at("code").as_string());
  }

  std::string push_blob(std::string_view repo, std::string data) {
    const std::string digest = sha256_of(data);
    auto r = call({Verb::post, "/v2/" + std::string(repo) + "/blobs/uploads/?digest=" + digest, {},
                   std::move(data)});
    EXPECT_EQ(r.status, HttpStatus::created) << r.body;
    return digest;
  }

  // Pushes a config + layer and an image manifest under `tag`.
  std::pair<std::string, std::string> push_image(std::string_view repo, std::string_view tag,
                                                 std::string extra = "") {
    const std::string config = R"({"architecture":"amd64","os":"linux"})";
    const std::string layer = "layer-" + std::string(tag);
    const std::string cd = push_blob(repo, config);
    const std::string ld = push_blob(repo, layer);
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + cd +
        R"(","size":)" + std::to_string(config.size()) +
        R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
        ld + R"(","size":)" + std::to_string(layer.size()) + "}]" + extra + "}";
    auto r = call({Verb::put, "/v2/" + std::string(repo) + "/manifests/" + std::string(tag),
                   {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, manifest});
    EXPECT_EQ(r.status, HttpStatus::created) << r.body;
    return {manifest, header(r, "Docker-Content-Digest")};
  }

  asio::io_context io_;
  asio::thread_pool pool_{2};
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  registry::Registry registry_;
  OciApi api_;
};

TEST_F(OciApiTest, BaseAndUnknownRoutes) {
  auto r = call({Verb::get, "/v2/"});
  EXPECT_EQ(r.status, HttpStatus::ok);
  EXPECT_EQ(r.body, "{}");
  r = call({Verb::get, "/v2/a/nothing/here"});
  EXPECT_EQ(r.status, HttpStatus::not_found);
  EXPECT_EQ(error_code(r), "UNSUPPORTED");
  r = call({Verb::post, "/v2/a/tags/list"});
  EXPECT_EQ(r.status, HttpStatus::method_not_allowed);
  EXPECT_EQ(header(r, "Allow"), "GET");
  r = call({Verb::get, "/v2/A/tags/list"});
  EXPECT_EQ(r.status, HttpStatus::bad_request);
  EXPECT_EQ(error_code(r), "NAME_INVALID");
}

TEST_F(OciApiTest, MonolithicPushAndRangedPull) {
  const std::string data = "0123456789abcdefghij";
  const std::string digest = push_blob("a/b", data);
  auto r = call({Verb::get, "/v2/a/b/blobs/" + digest});
  EXPECT_EQ(r.status, HttpStatus::ok);
  EXPECT_EQ(r.body, data);
  EXPECT_EQ(header(r, "Docker-Content-Digest"), digest);
  EXPECT_EQ(header(r, "Accept-Ranges"), "bytes");

  r = call({Verb::head, "/v2/a/b/blobs/" + digest});
  EXPECT_EQ(r.status, HttpStatus::ok);
  EXPECT_EQ(r.head_content_length, data.size());
  EXPECT_TRUE(r.body.empty());

  r = call({Verb::get, "/v2/a/b/blobs/" + digest, {{"Range", "bytes=5-9"}}});
  EXPECT_EQ(r.status, HttpStatus::partial_content);
  EXPECT_EQ(r.body, "56789");
  EXPECT_EQ(header(r, "Content-Range"), "bytes 5-9/20");

  r = call({Verb::get, "/v2/a/b/blobs/" + digest, {{"Range", "bytes=20-"}}});
  EXPECT_EQ(r.status, HttpStatus::range_not_satisfiable);
  EXPECT_EQ(header(r, "Content-Range"), "bytes */20");

  r = call({Verb::get, "/v2/a/b/blobs/" + sha256_of("other")});
  EXPECT_EQ(r.status, HttpStatus::not_found);
  EXPECT_EQ(error_code(r), "BLOB_UNKNOWN");
  r = call({Verb::get, "/v2/a/b/blobs/sha256:1234"});
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");

  r = call({Verb::delete_, "/v2/a/b/blobs/" + digest});
  EXPECT_EQ(r.status, HttpStatus::accepted);
  r = call({Verb::head, "/v2/a/b/blobs/" + digest});
  EXPECT_EQ(r.status, HttpStatus::not_found);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(OciApiTest, ChunkedUpload) {
  const std::string data = "hello chunked world!";
  auto r = call({Verb::post, "/v2/repo/blobs/uploads/"});
  ASSERT_EQ(r.status, HttpStatus::accepted);
  EXPECT_EQ(header(r, "Range"), "0-0");
  const std::string location = header(r, "Location");
  ASSERT_TRUE(location.starts_with("/v2/repo/blobs/uploads/")) << location;
  EXPECT_EQ(location.substr(location.rfind('/') + 1), header(r, "Docker-Upload-UUID"));

  r = call({Verb::patch, location, {{"Content-Range", "0-4"}}, data.substr(0, 5)});
  ASSERT_EQ(r.status, HttpStatus::accepted) << r.body;
  EXPECT_EQ(header(r, "Range"), "0-4");

  // Out of order, and a lying Content-Range: refused, upload unchanged.
  r = call({Verb::patch, location, {{"Content-Range", "7-9"}}, data.substr(7, 3)});
  EXPECT_EQ(r.status, HttpStatus::range_not_satisfiable);
  EXPECT_EQ(header(r, "Range"), "0-4");
  r = call({Verb::patch, location, {{"Content-Range", "5-9"}}, data.substr(5, 3)});
  EXPECT_EQ(r.status, HttpStatus::range_not_satisfiable);
  r = call({Verb::patch, location, {{"Content-Range", "5-9"}}, data.substr(5, 3), false});
  EXPECT_EQ(r.status, HttpStatus::range_not_satisfiable);
  EXPECT_EQ(header(r, "Range"), "0-4");

  // Streaming PATCH without Content-Range or Content-Length.
  r = call({Verb::patch, location, {}, data.substr(5, 10), false});
  ASSERT_EQ(r.status, HttpStatus::accepted) << r.body;
  EXPECT_EQ(header(r, "Range"), "0-14");

  r = call({Verb::get, location});
  EXPECT_EQ(r.status, HttpStatus::no_content);
  EXPECT_EQ(header(r, "Range"), "0-14");

  r = call({Verb::put, location});  // no digest
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");

  r = call({Verb::put, location + "?digest=" + sha256_of(data), {{"Content-Range", "15-19"}},
            data.substr(15)});
  ASSERT_EQ(r.status, HttpStatus::created) << r.body;
  EXPECT_EQ(header(r, "Docker-Content-Digest"), sha256_of(data));
  EXPECT_EQ(header(r, "Location"), "/v2/repo/blobs/" + sha256_of(data));
  EXPECT_EQ(call({Verb::get, header(r, "Location")}).body, data);

  r = call({Verb::get, location});
  EXPECT_EQ(error_code(r), "BLOB_UPLOAD_UNKNOWN");
}

TEST_F(OciApiTest, UploadFailures) {
  auto r = call({Verb::post, "/v2/repo/blobs/uploads/"});
  const std::string location = header(r, "Location");
  r = call({Verb::put, location + "?digest=" + sha256_of("not this"), {}, std::string("data")});
  EXPECT_EQ(r.status, HttpStatus::bad_request);
  EXPECT_EQ(error_code(r), "DIGEST_INVALID");

  for (const char* id : {"no-such-upload", "bad%id", "..", "a.b"}) {
    r = call({Verb::patch, std::string("/v2/repo/blobs/uploads/") + id, {}, std::string("x")});
    EXPECT_EQ(r.status, HttpStatus::not_found) << id;
    EXPECT_EQ(error_code(r), "BLOB_UPLOAD_UNKNOWN");
  }

  r = call({Verb::post, "/v2/repo/blobs/uploads/"});
  const std::string other = header(r, "Location");
  EXPECT_EQ(call({Verb::delete_, other}).status, HttpStatus::no_content);
  EXPECT_EQ(call({Verb::delete_, other}).status, HttpStatus::not_found);
}

TEST_F(OciApiTest, Mount) {
  const std::string digest = push_blob("src", "shared layer");
  auto r = call({Verb::post, "/v2/dst/blobs/uploads/?mount=" + digest + "&from=src"});
  EXPECT_EQ(r.status, HttpStatus::created) << r.body;
  EXPECT_EQ(header(r, "Location"), "/v2/dst/blobs/" + digest);
  r = call({Verb::post, "/v2/dst2/blobs/uploads/?mount=" + sha256_of("nope") + "&from=src"});
  EXPECT_EQ(r.status, HttpStatus::accepted);
  r = call({Verb::post, "/v2/dst2/blobs/uploads/?mount=sha256:../x&from=../.."});
  EXPECT_EQ(r.status, HttpStatus::accepted);
}

TEST_F(OciApiTest, Manifests) {
  const auto [manifest, digest] = push_image("app", "v1");
  EXPECT_EQ(digest, sha256_of(manifest));
  for (const std::string& ref : {std::string("v1"), digest}) {
    auto r = call({Verb::get, "/v2/app/manifests/" + ref});
    EXPECT_EQ(r.status, HttpStatus::ok);
    EXPECT_EQ(r.body, manifest);
    EXPECT_EQ(header(r, "Content-Type"), "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(header(r, "ETag"), "\"" + digest + "\"");
    r = call({Verb::head, "/v2/app/manifests/" + ref});
    EXPECT_EQ(r.head_content_length, manifest.size());
  }
  auto r = call({Verb::get, "/v2/app/manifests/v1",
                 {{"Accept", "application/vnd.docker.distribution.manifest.v2+json"}}});
  EXPECT_EQ(r.status, HttpStatus::not_found);
  EXPECT_EQ(error_code(r), "MANIFEST_UNKNOWN");
  r = call({Verb::get, "/v2/app/manifests/v1",
            {{"Accept", "application/vnd.docker.distribution.manifest.v2+json"},
             {"Accept", "application/vnd.oci.image.manifest.v1+json"}}});
  EXPECT_EQ(r.status, HttpStatus::ok);

  // No manifest lives under an invalid tag: GET and HEAD say unknown (the
  // conformance suites' .INVALID_MANIFEST_NAME); PUT refuses the tag.
  r = call({Verb::get, "/v2/app/manifests/-bad"});
  EXPECT_EQ(r.status, HttpStatus::not_found);
  EXPECT_EQ(error_code(r), "MANIFEST_UNKNOWN");
  r = call({Verb::head, "/v2/app/manifests/.INVALID_MANIFEST_NAME"});
  EXPECT_EQ(r.status, HttpStatus::not_found);
  r = call({Verb::put, "/v2/app/manifests/-bad",
            {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, manifest});
  EXPECT_EQ(r.status, HttpStatus::bad_request);
  EXPECT_EQ(error_code(r), "TAG_INVALID");
  r = call({Verb::put, "/v2/app/manifests/big", {}, std::string(2000, ' ')});
  EXPECT_EQ(r.status, HttpStatus::payload_too_large);
  EXPECT_EQ(error_code(r), "SIZE_INVALID");
  r = call({Verb::put, "/v2/app/manifests/bad", {}, std::string("{")});
  EXPECT_EQ(error_code(r), "MANIFEST_INVALID");

  r = call({Verb::delete_, "/v2/app/manifests/v1"});
  EXPECT_EQ(r.status, HttpStatus::accepted);
  EXPECT_EQ(call({Verb::get, "/v2/app/manifests/v1"}).status, HttpStatus::not_found);
  EXPECT_EQ(call({Verb::get, "/v2/app/manifests/" + digest}).status, HttpStatus::ok);
}

TEST_F(OciApiTest, TagsAndCatalogPagination) {
  const auto [manifest, digest] = push_image("app", "a");
  for (const char* tag : {"b", "c", "d"}) {
    auto r = call({Verb::put, std::string("/v2/app/manifests/") + tag,
                   {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, manifest});
    ASSERT_EQ(r.status, HttpStatus::created);
  }
  auto r = call({Verb::get, "/v2/app/tags/list?n=2"});
  EXPECT_EQ(r.body, R"({"name":"app","tags":["a","b"]})");
  EXPECT_EQ(header(r, "Link"), R"(</v2/app/tags/list?n=2&last=b>; rel="next")");
  r = call({Verb::get, "/v2/app/tags/list?n=2&last=b"});
  EXPECT_EQ(r.body, R"({"name":"app","tags":["c","d"]})");
  EXPECT_EQ(header(r, "Link"), "");
  // No n: capped at max_page_size (3) with a Link.
  r = call({Verb::get, "/v2/app/tags/list"});
  EXPECT_EQ(r.body, R"({"name":"app","tags":["a","b","c"]})");
  EXPECT_EQ(header(r, "Link"), R"(</v2/app/tags/list?n=3&last=c>; rel="next")");
  r = call({Verb::get, "/v2/app/tags/list?n=0"});
  EXPECT_EQ(r.body, R"({"name":"app","tags":[]})");
  r = call({Verb::get, "/v2/nope/tags/list"});
  EXPECT_EQ(error_code(r), "NAME_UNKNOWN");
  r = call({Verb::get, "/v2/app/tags/list?n=x"});
  EXPECT_EQ(r.status, HttpStatus::bad_request);

  push_blob("lib/z", "z");
  r = call({Verb::get, "/v2/_catalog?n=1"});
  EXPECT_EQ(r.body, R"({"repositories":["app"]})");
  EXPECT_EQ(header(r, "Link"), R"(</v2/_catalog?n=1&last=app>; rel="next")");
  r = call({Verb::get, "/v2/_catalog?n=1&last=app"});
  EXPECT_EQ(r.body, R"({"repositories":["lib/z"]})");
}

TEST_F(OciApiTest, Referrers) {
  const auto [subject_manifest, subject] = push_image("app", "v1");
  const std::string extra = R"(,"artifactType":"application/x.sbom","subject":{"mediaType":)"
                            R"("application/vnd.oci.image.manifest.v1+json","digest":")" +
                            subject + R"(","size":)" + std::to_string(subject_manifest.size()) +
                            R"(},"annotations":{"k":"v"})";
  const auto [referrer, referrer_digest] = push_image("app", "sbom", extra);
  (void)referrer;

  auto r = call({Verb::get, "/v2/app/referrers/" + subject});
  ASSERT_EQ(r.status, HttpStatus::ok) << r.body;
  EXPECT_EQ(header(r, "Content-Type"), "application/vnd.oci.image.index.v1+json");
  const auto index = boost::json::parse(r.body);
  const auto& manifests = index.at("manifests").as_array();
  ASSERT_EQ(manifests.size(), 1u);
  EXPECT_EQ(manifests[0].at("digest").as_string(), referrer_digest);
  EXPECT_EQ(manifests[0].at("artifactType").as_string(), "application/x.sbom");
  EXPECT_EQ(manifests[0].at("annotations").at("k").as_string(), "v");
  EXPECT_EQ(header(r, "OCI-Filters-Applied"), "");

  r = call({Verb::get, "/v2/app/referrers/" + subject + "?artifactType=application/x.other"});
  EXPECT_EQ(header(r, "OCI-Filters-Applied"), "artifactType");
  EXPECT_TRUE(boost::json::parse(r.body).at("manifests").as_array().empty());

  r = call({Verb::get, "/v2/nope/referrers/" + subject});
  EXPECT_EQ(r.status, HttpStatus::ok);
  EXPECT_EQ(r.body, R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
}

}  // namespace
}  // namespace berth::api::oci
