#include "api/ecr/model/shape_model.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

namespace berth::api::ecr {
namespace {

namespace json = boost::json;

const ShapeModel& model() { return ShapeModel::instance(); }

Status check(std::string_view shape, std::string_view input) {
  return model().validate(shape, json::parse(input));
}

TEST(ShapeModel, LoadsEveryOperationOfTheService) {
  EXPECT_EQ(model().target_prefix(), "AmazonEC2ContainerRegistry_V20150921");
  EXPECT_EQ(model().operations().size(), 58u);
  const Operation* op = model().find_operation("BatchGetImage");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->input, "BatchGetImageRequest");
  EXPECT_EQ(op->output, "BatchGetImageResponse");
  EXPECT_EQ(model().find_operation("NoSuchThing"), nullptr);
}

TEST(ShapeModel, EveryPatternCompiles) {
  int patterns = 0;
  for (const auto& [name, shape] : model().shapes()) {
    if (shape.pattern_text.empty()) continue;
    EXPECT_NE(shape.pattern, nullptr) << name << ": " << shape.pattern_text;
    ++patterns;
  }
  // The 2015-09-21 model has 15 distinct patterns on more shapes than that.
  EXPECT_GE(patterns, 15);
}

TEST(ShapeModel, AcceptsAValidRequest) {
  EXPECT_TRUE(check("BatchGetImageRequest",
                    R"({"repositoryName":"team/app","imageIds":[{"imageTag":"v1"}],
                        "acceptedMediaTypes":["application/vnd.oci.image.manifest.v1+json"]})"));
}

TEST(ShapeModel, RequiredMemberMissingNamesTheField) {
  auto s = check("BatchGetImageRequest", R"({"repositoryName":"app"})");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().detail, "InvalidParameterException");
  EXPECT_NE(s.error().message.find("'imageIds'"), std::string::npos) << s.error().message;
}

TEST(ShapeModel, PatternAndLengthAreEnforced) {
  auto upper = check("BatchGetImageRequest", R"({"repositoryName":"App","imageIds":[{"imageTag":"v"}]})");
  ASSERT_FALSE(upper.has_value());
  EXPECT_NE(upper.error().message.find("repositoryName"), std::string::npos);
  EXPECT_NE(upper.error().message.find("regular expression"), std::string::npos);
  auto short_name = check("BatchGetImageRequest", R"({"repositoryName":"a","imageIds":[{"imageTag":"v"}]})");
  ASSERT_FALSE(short_name.has_value());
  EXPECT_NE(short_name.error().message.find("greater than or equal to 2"), std::string::npos);
  auto registry = check("BatchGetImageRequest",
                        R"({"registryId":"12","repositoryName":"app","imageIds":[{"imageTag":"v"}]})");
  ASSERT_FALSE(registry.has_value());
  EXPECT_NE(registry.error().message.find("registryId"), std::string::npos);
}

TEST(ShapeModel, ListSizesAreEnforced) {
  std::string ids = "[";
  for (int i = 0; i < 101; ++i) ids += std::string(i ? "," : "") + R"({"imageTag":"t)" + std::to_string(i) + "\"}";
  ids += "]";
  auto s = check("BatchGetImageRequest", R"({"repositoryName":"app","imageIds":)" + ids + "}");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("less than or equal to 100"), std::string::npos);
  auto empty = check("BatchGetImageRequest", R"({"repositoryName":"app","imageIds":[]})");
  ASSERT_FALSE(empty.has_value());
}

TEST(ShapeModel, EnumsAndIntegerRangesAreEnforced) {
  auto bad_enum = check("ListImagesRequest", R"({"repositoryName":"app","filter":{"tagStatus":"SOMETIMES"}})");
  ASSERT_FALSE(bad_enum.has_value());
  EXPECT_NE(bad_enum.error().message.find("enum value set"), std::string::npos);
  auto too_many = check("ListImagesRequest", R"({"repositoryName":"app","maxResults":1001})");
  ASSERT_FALSE(too_many.has_value());
  EXPECT_NE(too_many.error().message.find("maxResults"), std::string::npos);
  EXPECT_TRUE(check("ListImagesRequest", R"({"repositoryName":"app","maxResults":1000})"));
}

TEST(ShapeModel, WrongJsonTypeIsASerializationError) {
  auto s = check("ListImagesRequest", R"({"repositoryName":"app","maxResults":"ten"})");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().detail, "SerializationException");
  auto not_object = check("ListImagesRequest", R"([1,2])");
  ASSERT_FALSE(not_object.has_value());
  EXPECT_EQ(not_object.error().detail, "SerializationException");
}

TEST(ShapeModel, BlobSizeIsCheckedOnTheDecodedLength) {
  auto s = check("UploadLayerPartRequest",
                 R"({"repositoryName":"app","uploadId":"0b3e5b4e-1c3d-4c1a-9c1e-3f7f2f0e9a11",
                     "partFirstByte":0,"partLastByte":2,"layerPartBlob":"YWJj"})");
  EXPECT_TRUE(s.has_value()) << s.error().message;
  auto not_base64 = check("UploadLayerPartRequest",
                          R"({"repositoryName":"app","uploadId":"0b3e5b4e-1c3d-4c1a-9c1e-3f7f2f0e9a11",
                              "partFirstByte":0,"partLastByte":2,"layerPartBlob":"YWJ"})");
  ASSERT_FALSE(not_base64.has_value());
}

TEST(ShapeModel, AnUnboundedPatternedValueIsMatchedWithoutRecursingOnIt) {
  // LayerDigest has a pattern and no max length. std::regex recursed once
  // per character and overflowed the stack (found by the ecr_input fuzzer).
  auto complete = [](const std::string& digest) {
    return check("CompleteLayerUploadRequest",
                 R"({"repositoryName":"app","uploadId":"0b3e5b4e-1c3d-4c1a-9c1e-3f7f2f0e9a11",)"
                 R"("layerDigests":[")" + digest + R"("]})");
  };
  std::string hex(200000, 'a');
  EXPECT_TRUE(complete("sha256:" + hex).has_value());
  auto bad = complete("sha256:" + hex + "z");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("regular expression"), std::string::npos);
}

TEST(ShapeModel, APatternThatBacktracksExponentiallyIsMatchedInLinearTime) {
  // ScanningRepositoryFilterValue's (x?y+)* shape took std::regex 50 s on 24
  // characters (the ecr_input fuzzer's finding); RE2 answers at once. No
  // clock here: a backtracking engine would not finish 200 characters in
  // this universe, so ctest's timeout is the failure.
  std::string value(200, 'a');  // the shape allows 255
  value += '!';
  auto s = check("PutRegistryScanningConfigurationRequest",
                 R"({"rules":[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[)"
                 R"({"filter":")" + value + R"(","filterType":"WILDCARD"}]}]})");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("regular expression"), std::string::npos);
}

TEST(ShapeModel, OutputKeepsOnlyModelledMembers) {
  auto out = json::parse(R"({"images":[{"imageId":{"imageTag":"v1","secret":"x"},"bogus":1}],
                            "failures":[],"internal":true,"unprocessed":null})");
  model().shape_output("BatchGetImageResponse", out);
  EXPECT_EQ(json::serialize(out), R"({"images":[{"imageId":{"imageTag":"v1"}}],"failures":[]})");
}

}  // namespace
}  // namespace berth::api::ecr
