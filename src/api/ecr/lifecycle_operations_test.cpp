// Lifecycle policies, their previews and UpdateImageStorageClass through
// EcrApi (auth off), over a memory-backed registry. The preview's
// background work is held back by the test, so IN_PROGRESS and
// LifecyclePolicyPreviewInProgressException are seen deterministically.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "api/ecr/ecr_api.hpp"
#include "crypto/hasher.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::api::ecr {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

class Body final : public http::BodyReader {
 public:
  explicit Body(std::string data) : data_(std::move(data)) {}
  asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) override {
    std::size_t n = std::min(out.size(), data_.size() - offset_);
    std::copy_n(data_.data() + offset_, n, out.data());
    offset_ += n;
    co_return n;
  }
  asio::awaitable<Result<std::string>> read_all(std::size_t) override {
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

constexpr const char* kKeepOneUntagged = R"({"rules":[{"rulePriority":1,"description":"keep one",
  "selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},
  "action":{"type":"expire"}}]})";

class LifecycleOperationsTest : public ::testing::Test {
 protected:
  LifecycleOperationsTest()
      : blobs_(storage::blob::memory::make_memory_blob_store()),
        meta_(storage::meta::memory::make_memory_meta_store()),
        registry_(*blobs_, *meta_, pool_) {
    services_.run_in_background = [this](std::function<void()> work) {
      held_.push_back(std::move(work));
    };
    EcrApiOptions options;
    options.auth_mode = EcrAuthMode::kNone;
    api_ = std::make_unique<EcrApi>(registry_, pool_, EcrSettings{}, services_, options);
    call("CreateRepository", {{"repositoryName", "app"}});
  }
  ~LifecycleOperationsTest() override { pool_.join(); }

  json::value call(std::string_view operation, json::object input, std::string* type = nullptr) {
    http::Request r;
    r.method = http::beast_http::verb::post;
    r.target = "/";
    r.path = "/";
    r.headers.set("Host", "127.0.0.1:5000");
    r.headers.set("Content-Type", "application/x-amz-json-1.1");
    r.headers.set("X-Amz-Target",
                  "AmazonEC2ContainerRegistry_V20150921." + std::string(operation));
    bodies_.push_back(std::make_unique<Body>(json::serialize(input)));
    r.body = bodies_.back().get();
    asio::io_context io;
    auto future = asio::co_spawn(io, api_->handle(r), asio::use_future);
    io.run();
    http::Response response = future.get();
    json::value body = json::parse(response.body);
    const json::value* t = body.is_object() ? body.as_object().if_contains("__type") : nullptr;
    if (type != nullptr) *type = t != nullptr ? std::string(t->as_string()) : "";
    EXPECT_TRUE(type != nullptr || t == nullptr) << operation << ": " << response.body;
    return body;
  }

  std::string error_of(std::string_view operation, json::object input) {
    std::string type;
    call(operation, std::move(input), &type);
    return type;
  }

  // An image (lenient: no blobs needed), optionally tagged; returns its digest.
  std::string push(int n, std::optional<std::string> tag = std::nullopt) {
    std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                           R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
                           std::to_string(n) + R"(,"digest":"sha256:)" +
                           crypto::sha256_hex(std::to_string(n)) + R"("},"layers":[]})";
    registry::PutManifestRequest request{
        tag ? oci::Reference::of_tag(*tag)
            : oci::Reference::of_digest(oci::Digest::from_hex(oci::DigestAlgorithm::kSha256,
                                                              crypto::sha256_hex(manifest))),
        manifest, "", /*lenient_references=*/true};
    auto put = registry_.put_manifest({"123456789012:us-east-1", "app"}, request);
    EXPECT_TRUE(put) << put.error().message;
    return put ? put->digest.str() : "";
  }

  void run_held() {
    auto work = std::move(held_);
    held_.clear();
    for (auto& w : work) w();
  }

  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  asio::thread_pool pool_{1};
  registry::Registry registry_;
  EcrServices services_;
  std::unique_ptr<EcrApi> api_;
  std::vector<std::function<void()>> held_;
  std::vector<std::unique_ptr<Body>> bodies_;
};

TEST_F(LifecycleOperationsTest, PolicyRoundTripWithLastEvaluatedAtAndAwsWording) {
  EXPECT_EQ(error_of("GetLifecyclePolicy", {{"repositoryName", "app"}}),
            "LifecyclePolicyNotFoundException");
  std::string type;
  json::value bad = call("PutLifecyclePolicy",
                         {{"repositoryName", "app"},
                          {"lifecyclePolicyText", std::string(R"({"rulez":[]})") + std::string(100, ' ')}},
                         &type);
  EXPECT_EQ(type, "InvalidParameterException");
  EXPECT_EQ(bad.at("message").as_string(),
            "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle "
            "policy validation failure: object has missing required properties ([\"rules\"])'");
  // The model's 100-character minimum.
  EXPECT_EQ(error_of("PutLifecyclePolicy", {{"repositoryName", "app"}, {"lifecyclePolicyText", "{}"}}),
            "InvalidParameterException");
  call("PutLifecyclePolicy", {{"repositoryName", "app"}, {"lifecyclePolicyText", kKeepOneUntagged}});
  json::value got = call("GetLifecyclePolicy", {{"repositoryName", "app"}});
  EXPECT_EQ(got.at("lifecyclePolicyText").as_string(), kKeepOneUntagged);
  EXPECT_EQ(got.at("lastEvaluatedAt").to_number<double>(), 0.0);  // never evaluated
  json::value gone = call("DeleteLifecyclePolicy", {{"repositoryName", "app"}});
  EXPECT_EQ(gone.at("lifecyclePolicyText").as_string(), kKeepOneUntagged);
  EXPECT_EQ(error_of("DeleteLifecyclePolicy", {{"repositoryName", "app"}}),
            "LifecyclePolicyNotFoundException");
}

TEST_F(LifecycleOperationsTest, PreviewGoesFromInProgressToCompleteAndRefusesASecondStart) {
  const std::string old_untagged = push(1);
  push(2);  // the newest untagged: kept
  push(3, "v1");
  EXPECT_EQ(error_of("GetLifecyclePolicyPreview", {{"repositoryName", "app"}}),
            "LifecyclePolicyPreviewNotFoundException");
  // No policy given and none stored.
  EXPECT_EQ(error_of("StartLifecyclePolicyPreview", {{"repositoryName", "app"}}),
            "LifecyclePolicyNotFoundException");
  EXPECT_EQ(error_of("StartLifecyclePolicyPreview",
                     {{"repositoryName", "nope"}, {"lifecyclePolicyText", kKeepOneUntagged}}),
            "RepositoryNotFoundException");

  json::value started = call("StartLifecyclePolicyPreview",
                             {{"repositoryName", "app"}, {"lifecyclePolicyText", kKeepOneUntagged}});
  EXPECT_EQ(started.at("status").as_string(), "IN_PROGRESS");
  EXPECT_EQ(started.at("lifecyclePolicyText").as_string(), kKeepOneUntagged);
  json::value pending = call("GetLifecyclePolicyPreview", {{"repositoryName", "app"}});
  EXPECT_EQ(pending.at("status").as_string(), "IN_PROGRESS");
  EXPECT_FALSE(pending.as_object().contains("previewResults"));
  EXPECT_EQ(error_of("StartLifecyclePolicyPreview",
                     {{"repositoryName", "app"}, {"lifecyclePolicyText", kKeepOneUntagged}}),
            "LifecyclePolicyPreviewInProgressException");

  ASSERT_EQ(held_.size(), 1u);
  run_held();
  json::value done = call("GetLifecyclePolicyPreview", {{"repositoryName", "app"}});
  EXPECT_EQ(done.at("status").as_string(), "COMPLETE");
  const json::array& results = done.at("previewResults").as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("imageDigest").as_string(), old_untagged);
  EXPECT_EQ(results[0].at("action").at("type").as_string(), "EXPIRE");
  EXPECT_EQ(results[0].at("appliedRulePriority").as_int64(), 1);
  EXPECT_EQ(results[0].at("storageClass").as_string(), "STANDARD");
  EXPECT_FALSE(results[0].as_object().contains("imageTags"));
  EXPECT_EQ(done.at("summary").at("expiringImageTotalCount").as_int64(), 1);
  EXPECT_FALSE(done.at("summary").as_object().contains("transitioningImageTotalCounts"));
  // Only a preview: nothing was expired.
  EXPECT_EQ(call("DescribeImages", {{"repositoryName", "app"}}).at("imageDetails").as_array().size(), 3u);

  // The stored policy is previewed when none is given; a new preview may start now.
  call("PutLifecyclePolicy", {{"repositoryName", "app"}, {"lifecyclePolicyText", kKeepOneUntagged}});
  EXPECT_EQ(call("StartLifecyclePolicyPreview", {{"repositoryName", "app"}}).at("status").as_string(),
            "IN_PROGRESS");
  run_held();
  EXPECT_EQ(call("GetLifecyclePolicyPreview", {{"repositoryName", "app"}}).at("status").as_string(),
            "COMPLETE");
}

TEST_F(LifecycleOperationsTest, PreviewPagesFiltersAndSummarisesTransitions) {
  for (int n = 1; n <= 5; ++n) push(n, "v" + std::to_string(n));
  push(10);
  push(11);
  const std::string policy = R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan",
     "countNumber":1},"action":{"type":"transition","targetStorageClass":"archive"}},
    {"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},
     "action":{"type":"expire"}}]})";
  call("StartLifecyclePolicyPreview", {{"repositoryName", "app"}, {"lifecyclePolicyText", policy}});
  run_held();
  json::value all = call("GetLifecyclePolicyPreview", {{"repositoryName", "app"}});
  EXPECT_EQ(all.at("previewResults").as_array().size(), 5u);  // 4 tagged + 1 untagged
  const json::object& summary = all.at("summary").as_object();
  EXPECT_EQ(summary.at("expiringImageTotalCount").as_int64(), 1);
  EXPECT_EQ(summary.at("transitioningImageTotalCounts").at(0).at("imageTotalCount").as_int64(), 4);
  EXPECT_EQ(summary.at("transitioningImageTotalCounts").at(0).at("targetStorageClass").as_string(),
            "ARCHIVE");

  std::vector<std::string> paged;
  json::object input{{"repositoryName", "app"}, {"maxResults", 2}};
  for (int pages = 0; pages < 10; ++pages) {
    json::value page = call("GetLifecyclePolicyPreview", input);
    for (const auto& r : page.at("previewResults").as_array()) {
      paged.emplace_back(r.at("imageDigest").as_string());
    }
    if (!page.as_object().contains("nextToken")) break;
    input["nextToken"] = page.at("nextToken");
  }
  ASSERT_EQ(paged.size(), 5u);
  for (std::size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i], all.at("previewResults").at(i).at("imageDigest").as_string());
  }

  json::value untagged = call("GetLifecyclePolicyPreview",
                              {{"repositoryName", "app"}, {"filter", {{"tagStatus", "UNTAGGED"}}}});
  ASSERT_EQ(untagged.at("previewResults").as_array().size(), 1u);
  EXPECT_EQ(untagged.at("previewResults").at(0).at("action").at("type").as_string(), "EXPIRE");
  json::value by_tag = call("GetLifecyclePolicyPreview",
                            {{"repositoryName", "app"},
                             {"imageIds", json::array{json::object{{"imageTag", "v2"}}}}});
  ASSERT_EQ(by_tag.at("previewResults").as_array().size(), 1u);
  EXPECT_EQ(by_tag.at("previewResults").at(0).at("imageTags").at(0).as_string(), "v2");
  EXPECT_EQ(by_tag.at("previewResults").at(0).at("action").at("targetStorageClass").as_string(),
            "ARCHIVE");
  EXPECT_EQ(error_of("GetLifecyclePolicyPreview",
                     {{"repositoryName", "app"}, {"nextToken", "garbage"}}),
            "InvalidParameterException");
}

TEST_F(LifecycleOperationsTest, UpdateImageStorageClassArchivesAndRestores) {
  const std::string digest = push(1, "v1");
  auto archive = [&](std::string_view target, json::object id) {
    return call("UpdateImageStorageClass",
                {{"repositoryName", "app"}, {"imageId", std::move(id)}, {"targetStorageClass", target}});
  };
  json::value archived = archive("ARCHIVE", {{"imageTag", "v1"}});
  EXPECT_EQ(archived.at("imageStatus").as_string(), "ARCHIVED");
  EXPECT_EQ(archived.at("imageId").at("imageDigest").as_string(), digest);
  EXPECT_EQ(archived.at("imageId").at("imageTag").as_string(), "v1");
  EXPECT_EQ(archive("ARCHIVE", {{"imageDigest", digest}}).at("imageStatus").as_string(), "ARCHIVED");

  // Hidden from the default listings, shown with their filters.
  EXPECT_TRUE(call("DescribeImages", {{"repositoryName", "app"}}).at("imageDetails").as_array().empty());
  EXPECT_TRUE(call("ListImages", {{"repositoryName", "app"}}).at("imageIds").as_array().empty());
  json::value described = call("DescribeImages", {{"repositoryName", "app"},
                                                  {"filter", {{"imageStatus", "ARCHIVED"}}}});
  ASSERT_EQ(described.at("imageDetails").as_array().size(), 1u);
  const json::object& detail = described.at("imageDetails").at(0).as_object();
  EXPECT_EQ(detail.at("imageStatus").as_string(), "ARCHIVED");
  EXPECT_TRUE(detail.contains("lastArchivedAt"));
  EXPECT_FALSE(detail.contains("lastActivatedAt"));
  EXPECT_EQ(call("ListImages", {{"repositoryName", "app"}, {"filter", {{"imageStatus", "ANY"}}}})
                .at("imageIds").as_array().size(), 1u);

  // BatchGetImage: a per-image failure.
  json::value pulled = call("BatchGetImage", {{"repositoryName", "app"},
                                              {"imageIds", json::array{{{"imageTag", "v1"}}}}});
  EXPECT_TRUE(pulled.at("images").as_array().empty());
  EXPECT_EQ(pulled.at("failures").at(0).at("failureCode").as_string(), "ImageInaccessible");

  json::value restoring = archive("STANDARD", {{"imageDigest", digest}});
  EXPECT_EQ(restoring.at("imageStatus").as_string(), "ACTIVATING");
  EXPECT_EQ(call("DescribeImages", {{"repositoryName", "app"}, {"filter", {{"imageStatus", "ACTIVATING"}}}})
                .at("imageDetails").as_array().size(), 1u);
  EXPECT_EQ(error_of("UpdateImageStorageClass", {{"repositoryName", "app"},
                                                 {"imageId", {{"imageTag", "v1"}}},
                                                 {"targetStorageClass", "ARCHIVE"}}),
            "ImageStorageClassUpdateNotSupportedException");

  EXPECT_EQ(error_of("UpdateImageStorageClass", {{"repositoryName", "app"},
                                                 {"imageId", {{"imageTag", "nope"}}},
                                                 {"targetStorageClass", "ARCHIVE"}}),
            "ImageNotFoundException");
  EXPECT_EQ(error_of("UpdateImageStorageClass", {{"repositoryName", "app"},
                                                 {"imageId", json::object{}},
                                                 {"targetStorageClass", "ARCHIVE"}}),
            "InvalidParameterException");
}

TEST_F(LifecycleOperationsTest, ArchivingAChildOfAnIndexWaitsForTheIndex) {
  const std::string child = push(1);
  const std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                            R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                            R"("size":10,"digest":")" + child + R"("}]})";
  registry::PutManifestRequest request{oci::Reference::of_tag("multi"), index, "", true};
  ASSERT_TRUE(registry_.put_manifest({"123456789012:us-east-1", "app"}, request));
  EXPECT_EQ(error_of("UpdateImageStorageClass", {{"repositoryName", "app"},
                                                 {"imageId", {{"imageDigest", child}}},
                                                 {"targetStorageClass", "ARCHIVE"}}),
            "ImageStorageClassUpdateNotSupportedException");
  call("UpdateImageStorageClass", {{"repositoryName", "app"},
                                   {"imageId", {{"imageTag", "multi"}}},
                                   {"targetStorageClass", "ARCHIVE"}});
  EXPECT_EQ(call("UpdateImageStorageClass", {{"repositoryName", "app"},
                                             {"imageId", {{"imageDigest", child}}},
                                             {"targetStorageClass", "ARCHIVE"}})
                .at("imageStatus").as_string(),
            "ARCHIVED");
}

}  // namespace
}  // namespace berth::api::ecr
