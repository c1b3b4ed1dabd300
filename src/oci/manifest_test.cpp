#include "oci/manifest.hpp"

#include <gtest/gtest.h>

#include "oci/media_types.hpp"

namespace berth::oci {
namespace {

namespace mt = media_types;

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');
// The digest of "{}", the OCI empty descriptor.
const std::string kEmptyDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

std::string desc(std::string_view media_type, const std::string& digest, std::string size,
                 std::string extra = "") {
  return "{\"mediaType\":\"" + std::string(media_type) + "\",\"digest\":\"" + digest +
         "\",\"size\":" + size + extra + "}";
}

std::string oci_image(std::string layers, std::string extra = "") {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
         desc(mt::kOciConfig, kD1, "7023") + ",\"layers\":[" + layers + "]" + extra + "}";
}

Error expect_invalid(std::string_view body, std::string_view content_type,
                     std::string_view message_fragment) {
  auto r = parse_manifest(body, content_type);
  EXPECT_FALSE(r.has_value()) << "accepted " << body;
  if (r.has_value()) return {};
  EXPECT_EQ(r.error().code, ErrorCode::kManifestInvalid) << r.error().message;
  EXPECT_NE(r.error().message.find(message_fragment), std::string::npos)
      << "message: " << r.error().message << "\nwanted: " << message_fragment;
  return r.error();
}

TEST(Manifest, OciImageWithLayers) {
  std::string body = oci_image(
      desc("application/vnd.oci.image.layer.v1.tar+gzip", kD2, "32654") + "," +
          desc("application/vnd.oci.image.layer.v1.tar+gzip", kD3, "16724",
               R"(,"annotations":{"org.opencontainers.image.title":"layer.tar"})"),
      R"(,"annotations":{"com.example.key1":"value1","com.example.key2":"value2"})");
  auto m = parse_manifest(body, mt::kOciManifest);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->kind, ManifestKind::kImage);
  EXPECT_EQ(m->media_type, mt::kOciManifest);
  ASSERT_TRUE(m->config.has_value());
  EXPECT_EQ(m->config->media_type, mt::kOciConfig);
  EXPECT_EQ(m->config->digest.str(), kD1);
  EXPECT_EQ(m->config->size, 7023u);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].digest.str(), kD2);
  EXPECT_EQ(m->layers[1].size, 16724u);
  EXPECT_EQ(m->layers[1].annotations.at("org.opencontainers.image.title"), "layer.tar");
  EXPECT_TRUE(m->manifests.empty());
  EXPECT_FALSE(m->subject.has_value());
  EXPECT_EQ(m->annotations.size(), 2u);
  EXPECT_EQ(m->annotations.at("com.example.key2"), "value2");
  EXPECT_EQ(m->artifact_type, "");
  EXPECT_EQ(effective_artifact_type(*m), mt::kOciConfig);
}

TEST(Manifest, OciArtifactWithEmptyConfigAndNoLayers) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                     R"("artifactType":"application/vnd.example.sbom.v1","config":)" +
                     desc(mt::kOciEmpty, kEmptyDigest, "2", R"(,"data":"e30=")") +
                     R"(,"layers":[],"subject":)" + desc(mt::kOciManifest, kD2, "1234") + "}";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->artifact_type, "application/vnd.example.sbom.v1");
  EXPECT_EQ(effective_artifact_type(*m), "application/vnd.example.sbom.v1");
  EXPECT_TRUE(m->layers.empty());
  ASSERT_TRUE(m->subject.has_value());
  EXPECT_EQ(m->subject->digest.str(), kD2);
  EXPECT_EQ(m->subject->media_type, mt::kOciManifest);
  EXPECT_EQ(m->subject->size, 1234u);
}

TEST(Manifest, EmptyConfigWithoutArtifactTypeIsOnlyASpecShould) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                     desc(mt::kOciEmpty, kEmptyDigest, "2") + R"(,"layers":[]})";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(effective_artifact_type(*m), mt::kOciEmpty);
}

TEST(Manifest, OciIndexWithPlatforms) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      desc(mt::kOciManifest, kD1, "7143",
           R"(,"platform":{"architecture":"ppc64le","os":"linux"})") +
      "," +
      desc(mt::kOciManifest, kD2, "7682",
           R"(,"platform":{"architecture":"arm","os":"linux","variant":"v7","os.features":["x"]})") +
      "," + desc(mt::kOciManifest, kD3, "500", R"(,"artifactType":"application/vnd.example")") +
      R"(],"artifactType":"application/vnd.example.index","annotations":{"k":"v"}})";
  auto m = parse_manifest(body, "application/vnd.oci.image.index.v1+json; charset=utf-8");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->kind, ManifestKind::kIndex);
  EXPECT_EQ(m->media_type, mt::kOciIndex);
  EXPECT_FALSE(m->config.has_value());
  EXPECT_TRUE(m->layers.empty());
  ASSERT_EQ(m->manifests.size(), 3u);
  ASSERT_TRUE(m->manifests[0].platform.has_value());
  EXPECT_EQ(m->manifests[0].platform->architecture, "ppc64le");
  EXPECT_EQ(m->manifests[0].platform->os, "linux");
  EXPECT_EQ(m->manifests[0].platform->variant, "");
  ASSERT_TRUE(m->manifests[1].platform.has_value());
  EXPECT_EQ(m->manifests[1].platform->variant, "v7");
  EXPECT_FALSE(m->manifests[2].platform.has_value());
  EXPECT_EQ(m->manifests[2].artifact_type, "application/vnd.example");
  EXPECT_EQ(effective_artifact_type(*m), "application/vnd.example.index");
  EXPECT_EQ(m->annotations.at("k"), "v");
}

TEST(Manifest, IndexWithoutArtifactTypeHasNoEffectiveType) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(effective_artifact_type(*m), "");
}

TEST(Manifest, DockerV2) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":)" +
      desc(mt::kDockerConfig, kD1, "1469") + R"(,"layers":[)" +
      desc("application/vnd.docker.image.rootfs.diff.tar.gzip", kD2, "2811969") + "," +
      desc("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", kD3, "100",
           R"(,"urls":["https://example.com/layer"])") +
      "]}";
  auto m = parse_manifest(body, mt::kDockerManifest);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->kind, ManifestKind::kImage);
  EXPECT_EQ(m->media_type, mt::kDockerManifest);
  EXPECT_EQ(m->config->media_type, mt::kDockerConfig);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].size, 2811969u);
}

TEST(Manifest, DockerManifestList) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[)" +
      desc(mt::kDockerManifest, kD1, "7143",
           R"(,"platform":{"architecture":"amd64","os":"linux","features":["sse4"]})") +
      "]}";
  auto m = parse_manifest(body, mt::kDockerManifestList);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->kind, ManifestKind::kIndex);
  EXPECT_EQ(m->media_type, mt::kDockerManifestList);
  ASSERT_EQ(m->manifests.size(), 1u);
  EXPECT_EQ(m->manifests[0].platform->architecture, "amd64");
}

TEST(Manifest, MediaTypeFromContentTypeWhenBodyHasNone) {
  std::string body = R"({"schemaVersion":2,"config":)" + desc(mt::kOciConfig, kD1, "1") +
                     R"(,"layers":[]})";
  auto m = parse_manifest(body, " Application/VND.oci.image.manifest.v1+json ;charset=utf-8");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->media_type, mt::kOciManifest);
}

TEST(Manifest, MediaTypeInferredFromShape) {
  std::string image = R"({"schemaVersion":2,"config":)" + desc(mt::kOciConfig, kD1, "1") +
                      R"(,"layers":[]})";
  auto m = parse_manifest(image, "");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->media_type, mt::kOciManifest);
  EXPECT_EQ(m->kind, ManifestKind::kImage);

  // Generic JSON says nothing, so shape decides here too.
  std::string index = R"({"schemaVersion":2,"manifests":[]})";
  auto i = parse_manifest(index, "application/json");
  ASSERT_TRUE(i.has_value()) << i.error().message;
  EXPECT_EQ(i->media_type, mt::kOciIndex);
  EXPECT_EQ(i->kind, ManifestKind::kIndex);

  expect_invalid(R"({"schemaVersion":2,"layers":[]})", "", "has no mediaType and no Content-Type");
}

TEST(Manifest, MismatchedContentTypeIsRejected) {
  auto e = expect_invalid(oci_image(""), mt::kDockerManifest, "does not match Content-Type");
  EXPECT_NE(e.message.find(mt::kDockerManifest), std::string::npos) << e.message;
  expect_invalid(oci_image(""), mt::kOciIndex, "does not match");
}

TEST(Manifest, UnsupportedMediaType) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.example+json","config":)" +
                     desc(mt::kOciConfig, kD1, "1") + R"(,"layers":[]})";
  auto e = expect_invalid(body, "", "unsupported manifest media type \"application/vnd.example+json\"");
  EXPECT_EQ(e.detail, "application/vnd.example+json");
  expect_invalid(R"({"schemaVersion":2,"config":{},"layers":[]})", "text/plain",
                 "unsupported manifest media type \"text/plain\"");
}

TEST(Manifest, Schema1IsRefused) {
  constexpr std::string_view kMessage =
      "Docker schema 1 manifests are not supported; push schema 2 or OCI";
  std::string schema1 =
      R"({"schemaVersion":1,"name":"library/x","tag":"latest","architecture":"amd64",)"
      R"("fsLayers":[{"blobSum":")" + kD1 + R"("}],"history":[]})";
  for (std::string_view ct : {std::string_view(""), mt::kDockerSchema1Signed,
                              mt::kDockerSchema1, std::string_view("application/json")}) {
    auto e = expect_invalid(schema1, ct, kMessage);
    EXPECT_EQ(e.message, kMessage);
  }
  // A schema-1 media type is refused even with schemaVersion 2.
  auto e = expect_invalid(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v1+json"})", "",
      kMessage);
  EXPECT_EQ(e.message, kMessage);
}

TEST(Manifest, SchemaVersionMustBeTwo) {
  std::string body = oci_image("");
  auto without = body;
  without.replace(without.find("\"schemaVersion\":2,"), 18, "");
  expect_invalid(without, "", "schemaVersion: is required");
  auto three = body;
  three.replace(three.find("\"schemaVersion\":2"), 17, "\"schemaVersion\":3");
  expect_invalid(three, "", "schemaVersion: must be 2, got 3");
  auto text = body;
  text.replace(text.find("\"schemaVersion\":2"), 17, "\"schemaVersion\":\"2\"");
  expect_invalid(text, "", "schemaVersion: must be 2");
  auto real = body;
  real.replace(real.find("\"schemaVersion\":2"), 17, "\"schemaVersion\":2.0");
  expect_invalid(real, "", "schemaVersion: must be 2");
}

TEST(Manifest, BadJson) {
  expect_invalid("", "", "not valid JSON");
  expect_invalid("{", "", "not valid JSON");
  expect_invalid(oci_image("") + "x", "", "not valid JSON");
  expect_invalid(R"({"schemaVersion":2,})", "", "not valid JSON");  // trailing comma
  expect_invalid("{\"schemaVersion\":2,\"a\":\"\xff\"}", "", "not valid JSON");  // bad UTF-8
  expect_invalid("[]", "", "must be a JSON object");
  expect_invalid("\"manifest\"", "", "must be a JSON object");
  expect_invalid("null", "", "must be a JSON object");
}

TEST(Manifest, DeepNestingIsAnErrorNotACrash) {
  expect_invalid(std::string(10000, '['), "", "nests deeper than 64 levels");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  expect_invalid(objects, "", "nests deeper than 64 levels");
  // Within the limit, depth itself is not a problem.
  std::string ok_depth = R"({"schemaVersion":2,"x":)" + std::string(50, '[') +
                         std::string(50, ']') + R"(,"config":)" + desc(mt::kOciConfig, kD1, "1") +
                         R"(,"layers":[]})";
  EXPECT_TRUE(parse_manifest(ok_depth, mt::kOciManifest).has_value());
}

TEST(Manifest, SizeMustBeANonNegativeInteger) {
  auto e = expect_invalid(oci_image(desc("x/y", kD2, "1") + "," + desc("x/y", kD2, "-1")), "",
                          "layers[1].size: must not be negative");
  EXPECT_EQ(e.detail, "-1");
  expect_invalid(oci_image(desc("x/y", kD2, "1.5")), "", "layers[0].size: must be a non-negative integer");
  expect_invalid(oci_image(desc("x/y", kD2, "1e3")), "", "layers[0].size: must be a non-negative integer");
  expect_invalid(oci_image(desc("x/y", kD2, "\"12\"")), "", "layers[0].size: must be a non-negative integer");
  expect_invalid(oci_image(desc("x/y", kD2, "99999999999999999999")), "",
                 "layers[0].size: must be a non-negative integer");
  // uint64 values above INT64_MAX are integers and accepted.
  auto big = parse_manifest(oci_image(desc("x/y", kD2, "18446744073709551615")), "");
  ASSERT_TRUE(big.has_value()) << big.error().message;
  EXPECT_EQ(big->layers[0].size, 18446744073709551615ull);
  auto zero = parse_manifest(oci_image(desc("x/y", kD2, "0")), "");
  ASSERT_TRUE(zero.has_value()) << zero.error().message;
  EXPECT_EQ(zero->layers[0].size, 0u);
}

TEST(Manifest, BadDigests) {
  std::string layers = desc("x/y", kD2, "1") + "," + desc("x/y", kD2, "1") + "," +
                       desc("x/y", "sha256:abc", "1");
  auto e = expect_invalid(oci_image(layers), "", "layers[2].digest: ");
  EXPECT_NE(e.message.find("sha256:abc"), std::string::npos) << e.message;
  EXPECT_EQ(e.detail, "sha256:abc");

  std::string md5 = "md5:d41d8cd98f00b204e9800998ecf8427e";
  auto u = expect_invalid(oci_image(desc("x/y", md5, "1")), "", "layers[0].digest: ");
  EXPECT_NE(u.message.find("unsupported"), std::string::npos) << u.message;
  EXPECT_NE(u.message.find(md5), std::string::npos) << u.message;

  expect_invalid(oci_image(R"({"mediaType":"x/y","size":1})"), "", "layers[0].digest: is required");
  expect_invalid(oci_image(R"({"mediaType":"x/y","digest":7,"size":1})"), "",
                 "layers[0].digest: must be a string");
}

TEST(Manifest, DescriptorMediaTypeRequired) {
  expect_invalid(oci_image(R"({"digest":")" + kD2 + R"(","size":1})"), "",
                 "layers[0].mediaType: is required");
  expect_invalid(oci_image(desc("", kD2, "1")), "", "layers[0].mediaType: must not be empty");
  expect_invalid(oci_image(R"({"mediaType":1,"digest":")" + kD2 + R"(","size":1})"), "",
                 "layers[0].mediaType: must be a string");
  expect_invalid(oci_image("42"), "", "layers[0]: must be an object");
}

TEST(Manifest, MissingConfigOrLayers) {
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})",
                 "", "config: is required");
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[]})",
                 "", "config: is required");
  std::string no_layers = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                          desc(mt::kOciConfig, kD1, "1") + "}";
  expect_invalid(no_layers, "", "layers: is required");
  std::string layers_object = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                              desc(mt::kOciConfig, kD1, "1") + R"(,"layers":{}})";
  expect_invalid(layers_object, "", "layers: must be an array");
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"x","layers":[]})",
                 "", "config: must be an object");
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                     desc(mt::kOciConfig, kD1, "-5") + R"(,"layers":[]})",
                 "", "config.size: must not be negative");
}

TEST(Manifest, NullLayersFromGoClientsAreEmpty) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                     desc(mt::kOciConfig, kD1, "1") + R"(,"layers":null,"annotations":null})";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->layers.empty());
  EXPECT_TRUE(m->annotations.empty());
}

TEST(Manifest, IndexRequiresManifestsArray) {
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"})", "",
                 "manifests: is required");
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":{}})",
                 "", "manifests: must be an array");
  std::string bad_child = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
                          desc(mt::kOciManifest, kD1, "1") + "," + desc(mt::kOciManifest, "sha256:", "1") +
                          "]}";
  expect_invalid(bad_child, "", "manifests[1].digest: ");
}

TEST(Manifest, PlatformFieldsAreChecked) {
  auto index_with = [](std::string platform) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
           desc(mt::kOciManifest, kD1, "1", ",\"platform\":" + platform) + "]}";
  };
  expect_invalid(index_with(R"({"os":"linux"})"), "", "manifests[0].platform.architecture: is required");
  expect_invalid(index_with(R"({"architecture":"amd64"})"), "", "manifests[0].platform.os: is required");
  expect_invalid(index_with(R"({"architecture":"amd64","os":"linux","variant":8})"), "",
                 "manifests[0].platform.variant: must be a string");
  expect_invalid(index_with(R"("linux/amd64")"), "", "manifests[0].platform: must be an object");
}

TEST(Manifest, AmbiguousShapesAreRejected) {
  std::string image_with_manifests = oci_image("", R"(,"manifests":[])");
  expect_invalid(image_with_manifests, "", "must not have a \"manifests\" field");
  std::string index_with_config = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"config":)" +
                                  desc(mt::kOciConfig, kD1, "1") + "}";
  expect_invalid(index_with_config, "", "must not have \"config\" or \"layers\"");
  expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"layers":[]})",
                 "", "must not have \"config\" or \"layers\"");
}

TEST(Manifest, AnnotationsMustMapStringsToStrings) {
  expect_invalid(oci_image("", R"(,"annotations":{"a":1})"), "", "annotations[\"a\"]: must be a string");
  expect_invalid(oci_image("", R"(,"annotations":["a"])"), "", "annotations: must be an object");
  expect_invalid(oci_image(desc("x/y", kD2, "1", R"(,"annotations":{"k":{}})")), "",
                 "layers[0].annotations[\"k\"]: must be a string");
}

TEST(Manifest, OptionalFieldsHaveTypes) {
  expect_invalid(oci_image("", R"(,"artifactType":5)"), "", "artifactType: must be a string");
  expect_invalid(oci_image("", R"(,"subject":{"mediaType":"x/y","digest":"nope","size":1})"), "",
                 "subject.digest: ");
  expect_invalid(oci_image(desc("x/y", kD2, "1", R"(,"artifactType":[])")), "",
                 "layers[0].artifactType: must be a string");
  expect_invalid(R"({"schemaVersion":2,"mediaType":7})", "", "mediaType: must be a string");
}

TEST(Manifest, DuplicateKeysTakeTheLastValueLikeGoAndJs) {
  std::string body = R"({"schemaVersion":1,"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                     desc(mt::kOciConfig, kD1, "1") + R"(,"layers":[]})";
  auto m = parse_manifest(body, "");
  ASSERT_TRUE(m.has_value()) << m.error().message;
}

}  // namespace
}  // namespace berth::oci
