#include "api/ecr/query_form.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace berth::api::ecr {
namespace {

namespace json = boost::json;

Result<json::object> convert(std::string_view shape, const QueryParameters& query) {
  return query_to_input(query, ShapeModel::instance(), shape);
}

json::value parsed(std::string_view text) { return json::parse(text); }

TEST(QueryForm, ReservedParametersAreNotInput) {
  EXPECT_TRUE(is_reserved_query_parameter("Action"));
  EXPECT_TRUE(is_reserved_query_parameter("version"));
  EXPECT_TRUE(is_reserved_query_parameter("X-Amz-Signature"));
  EXPECT_TRUE(is_reserved_query_parameter("x-amz-date"));
  EXPECT_TRUE(is_reserved_query_parameter("X-Berth-Download"));
  EXPECT_FALSE(is_reserved_query_parameter("repositoryName"));
  auto input = convert("BatchGetImageRequest",
                       {{"Action", "BatchGetImage"},
                        {"X-Amz-Credential", "AKID/20250101/us-east-1/ecr/aws4_request"},
                        {"repositoryName", "app"}});
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(json::value(*input), parsed(R"({"repositoryName":"app"})"));
}

TEST(QueryForm, InvalidUtf8IsRefused) {
  for (std::string bad : {std::string("a\xff"), std::string("\xc0\xaf"),
                          std::string("\xed\xa0\x80"), std::string("ab\xe2\x82")}) {
    auto input = convert("BatchGetImageRequest", {{"repositoryName", bad}});
    ASSERT_FALSE(input) << "accepted " << bad.size() << " bytes";
  }
  auto ok = convert("BatchGetImageRequest", {{"repositoryName", "caf\xc3\xa9"}});
  ASSERT_TRUE(ok) << ok.error().message;
}

TEST(QueryForm, AwsQueryStyleListsOfStructures) {
  auto input = convert("BatchGetImageRequest",
                       {{"repositoryName", "team/app"},
                        {"imageIds.member.2.imageDigest", "sha256:" + std::string(64, 'a')},
                        {"imageIds.member.1.imageTag", "v1"},
                        {"acceptedMediaTypes.member.1", "application/vnd.oci.image.manifest.v1+json"}});
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(json::value(*input),
            parsed(R"({"repositoryName":"team/app",
                       "imageIds":[{"imageTag":"v1"},{"imageDigest":"sha256:)" +
                   std::string(64, 'a') + R"("}],
                       "acceptedMediaTypes":["application/vnd.oci.image.manifest.v1+json"]})"));
}

TEST(QueryForm, IndexWithoutMemberAndCaseInsensitiveNames) {
  auto input = convert("BatchGetImageRequest",
                       {{"RepositoryName", "app"}, {"imageIds.1.ImageTag", "v1"}});
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(json::value(*input), parsed(R"({"repositoryName":"app","imageIds":[{"imageTag":"v1"}]})"));
}

TEST(QueryForm, JsonEncodedValues) {
  auto input = convert("BatchDeleteImageRequest",
                       {{"repositoryName", "app"},
                        {"imageIds", R"([{"imageTag":"v1"},{"imageTag":"v2"}])"}});
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(json::value(*input),
            parsed(R"({"repositoryName":"app","imageIds":[{"imageTag":"v1"},{"imageTag":"v2"}]})"));
}

TEST(QueryForm, ScalarListsFromRepeatedKeysOrOneValue) {
  std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  auto repeated = convert("BatchCheckLayerAvailabilityRequest",
                          {{"repositoryName", "app"}, {"layerDigests", a}, {"layerDigests", b}});
  ASSERT_TRUE(repeated) << repeated.error().message;
  EXPECT_EQ(repeated->at("layerDigests"), (json::array{json::string(a), json::string(b)}));
  auto member = convert("BatchCheckLayerAvailabilityRequest",
                        {{"repositoryName", "app"}, {"layerDigests.member.1", a}});
  ASSERT_TRUE(member);
  EXPECT_EQ(member->at("layerDigests"), (json::array{json::string(a)}));
}

TEST(QueryForm, ScalarsTakeTheirModelTypes) {
  auto input = convert("DescribeImagesRequest",
                       {{"repositoryName", "app"},
                        {"maxResults", "10"},
                        {"filter.tagStatus", "TAGGED"}});
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(json::value(*input),
            parsed(R"({"repositoryName":"app","maxResults":10,"filter":{"tagStatus":"TAGGED"}})"));
  auto boolean = convert("DeleteRepositoryRequest", {{"repositoryName", "app"}, {"force", "true"}});
  ASSERT_TRUE(boolean);
  EXPECT_EQ(boolean->at("force"), true);
}

TEST(QueryForm, StructureAsOneJsonValue) {
  auto input = convert("DescribeImagesRequest",
                       {{"repositoryName", "app"}, {"filter", R"({"tagStatus":"UNTAGGED"})"}});
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(input->at("filter"), parsed(R"({"tagStatus":"UNTAGGED"})"));
}

TEST(QueryForm, UnknownMembersAreIgnored) {
  auto input = convert("BatchGetImageRequest", {{"repositoryName", "app"}, {"bogus", "1"}});
  ASSERT_TRUE(input);
  EXPECT_FALSE(input->contains("bogus"));
}

TEST(QueryForm, OperationWithoutInputYieldsEmptyObject) {
  auto input = convert("", {{"Action", "X"}, {"anything", "1"}});
  ASSERT_TRUE(input);
  EXPECT_TRUE(input->empty());
}

TEST(QueryForm, BadValuesAreSerializationErrorsNamingTheParameter) {
  auto number = convert("DescribeImagesRequest", {{"repositoryName", "app"}, {"maxResults", "ten"}});
  ASSERT_FALSE(number);
  EXPECT_EQ(number.error().detail, "SerializationException");
  EXPECT_NE(number.error().message.find("maxResults"), std::string::npos);
  auto json_text = convert("BatchGetImageRequest", {{"repositoryName", "app"}, {"imageIds", "[{"}});
  ASSERT_FALSE(json_text);
  EXPECT_EQ(json_text.error().detail, "SerializationException");
  auto boolean = convert("DeleteRepositoryRequest", {{"repositoryName", "app"}, {"force", "yes"}});
  ASSERT_FALSE(boolean);
  EXPECT_EQ(boolean.error().detail, "SerializationException");
}

TEST(QueryForm, ContradictionsAreInvalidParameters) {
  auto twice = convert("BatchGetImageRequest", {{"repositoryName", "a1"}, {"repositoryName", "a2"}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().detail, "InvalidParameterException");
  EXPECT_NE(twice.error().message.find("repositoryName"), std::string::npos);
  auto index = convert("BatchGetImageRequest",
                       {{"repositoryName", "app"}, {"imageIds.member.x.imageTag", "v1"}});
  ASSERT_FALSE(index);
  EXPECT_EQ(index.error().detail, "InvalidParameterException");
  auto deeper = convert("BatchGetImageRequest", {{"repositoryName.sub", "app"}});
  ASSERT_FALSE(deeper);
  auto empty_segment = convert("BatchGetImageRequest", {{"imageIds..imageTag", "v1"}});
  ASSERT_FALSE(empty_segment);
}

TEST(QueryForm, MapsByEntryOrJson) {
  // No ECR input has a map today; a small model keeps the rule tested.
  const ShapeModel model(R"({"metadata":{"targetPrefix":"T"},
    "shapes":{"In":{"type":"structure","members":{"labels":{"shape":"Labels"}}},
              "Labels":{"type":"map","key":{"shape":"S"},"value":{"shape":"N"}},
              "S":{"type":"string"},"N":{"type":"long"}},
    "operations":{"Op":{"input":"In","errors":[]}}})");
  auto entries = query_to_input({{"labels.entry.2.key", "b"}, {"labels.entry.2.value", "2"},
                                 {"labels.entry.1.key", "a"}, {"labels.entry.1.value", "1"}},
                                model, "In");
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_EQ(json::value(*entries), parsed(R"({"labels":{"a":1,"b":2}})"));
  auto whole = query_to_input({{"labels", R"({"a":1,"b":2})"}}, model, "In");
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(*whole, *entries);
  auto no_value = query_to_input({{"labels.entry.1.key", "a"}}, model, "In");
  EXPECT_FALSE(no_value);
}

}  // namespace
}  // namespace berth::api::ecr
