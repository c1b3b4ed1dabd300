#include "api/ecr/manifest_translation.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "crypto/hasher.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace berth::api::ecr {
namespace {

namespace json = boost::json;
namespace mt = oci::media_types;

std::string digest_of(char c) { return "sha256:" + std::string(64, c); }

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

// As docker pushes it: three-space indentation.
const std::string kDockerManifest = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1469,
      "digest": ")" + digest_of('c') + R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2811969,
         "digest": ")" + digest_of('1') + R"("
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 100,
         "digest": ")" + digest_of('2') + R"(",
         "urls": ["https://example.com/layer"]
      }
   ]
})";

const std::string kOciManifest = R"({"schemaVersion":2,"config":{"mediaType":)"
                                 R"("application/vnd.oci.image.config.v1+json","size":7,)"
                                 R"("digest":")" + digest_of('c') + R"("},"layers":[{)"
                                 R"("mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
                                 R"("size":9,"digest":")" + digest_of('1') + R"(",)"
                                 R"("annotations":{"k":"v"}}],"annotations":{"a":"b"}})";

std::string str(const json::value& v) { return std::string(v.as_string()); }

const json::object& member(const json::value& v, std::string_view key) {
  return v.as_object().at(key).as_object();
}

TEST(ManifestTranslationTest, DockerToOci) {
  auto r = translate_manifest(kDockerManifest, mt::kDockerManifest, mt::kOciManifest);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->translated);
  EXPECT_EQ(r->media_type, mt::kOciManifest);
  EXPECT_EQ(r->digest, sha256_of(r->content));
  EXPECT_NE(r->digest, sha256_of(kDockerManifest));

  json::value v = json::parse(r->content);
  EXPECT_EQ(str(v.at("mediaType")), mt::kOciManifest);
  EXPECT_EQ(str(member(v, "config").at("mediaType")), mt::kOciConfig);
  EXPECT_EQ(member(v, "config").at("size").as_int64(), 1469);
  const auto& layers = v.at("layers").as_array();
  EXPECT_EQ(str(layers[0].at("mediaType")), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(str(layers[1].at("mediaType")),
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");
  EXPECT_EQ(str(layers[1].at("urls").as_array()[0]), "https://example.com/layer");
  EXPECT_EQ(str(layers[1].at("digest")), digest_of('2'));

  // What we hand out must itself be a valid OCI manifest.
  auto parsed = oci::parse_manifest(r->content, "");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->media_type, mt::kOciManifest);
}

TEST(ManifestTranslationTest, RoundTripDockerOciDocker) {
  auto oci = translate_manifest(kDockerManifest, mt::kDockerManifest, mt::kOciManifest);
  ASSERT_TRUE(oci);
  auto back = translate_manifest(oci->content, mt::kOciManifest, mt::kDockerManifest);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(json::parse(back->content), json::parse(kDockerManifest));
  EXPECT_EQ(back->digest, sha256_of(back->content));
  // Deterministic: the same input always yields the same bytes and digest.
  auto again = translate_manifest(kDockerManifest, mt::kDockerManifest, mt::kOciManifest);
  EXPECT_EQ(again->content, oci->content);
  EXPECT_EQ(again->digest, oci->digest);
}

TEST(ManifestTranslationTest, OciWithoutMediaTypeGetsOnePlacedLikeDocker) {
  auto r = translate_manifest(kOciManifest, mt::kOciManifest, mt::kDockerManifest);
  ASSERT_TRUE(r) << r.error().message;
  json::value v = json::parse(r->content);
  const json::object& o = v.as_object();
  auto it = o.begin();
  EXPECT_EQ(it->key(), "schemaVersion");
  EXPECT_EQ((++it)->key(), "mediaType");
  EXPECT_EQ(str(o.at("mediaType")), mt::kDockerManifest);
  EXPECT_EQ(str(member(v, "config").at("mediaType")), mt::kDockerConfig);
  EXPECT_EQ(str(o.at("layers").as_array()[0].at("mediaType")),
            "application/vnd.docker.image.rootfs.diff.tar.gzip");
  EXPECT_EQ(str(o.at("annotations").at("a")), "b");  // carried, not lost
  auto parsed = oci::parse_manifest(r->content, "");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->media_type, mt::kDockerManifest);

  auto back = translate_manifest(r->content, mt::kDockerManifest, mt::kOciManifest);
  ASSERT_TRUE(back);
  json::value expected = json::parse(kOciManifest);
  expected.as_object()["mediaType"] = mt::kOciManifest;  // now explicit
  EXPECT_EQ(json::parse(back->content), expected);
}

TEST(ManifestTranslationTest, RefusesWhatDockerCannotSay) {
  const std::string artifact =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("artifactType":"application/vnd.example+json","config":{"mediaType":)"
      R"("application/vnd.oci.empty.v1+json","size":2,"digest":")" + digest_of('4') +
      R"("},"layers":[]})";
  auto r = translate_manifest(artifact, mt::kOciManifest, mt::kDockerManifest);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);

  const std::string helm =
      R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json",)"
      R"("size":2,"digest":")" + digest_of('4') + R"("},"layers":[]})";
  EXPECT_EQ(translate_manifest(helm, mt::kOciManifest, mt::kDockerManifest).error().code,
            ErrorCode::kUnsupported);

  const std::string with_subject =
      R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
      R"("size":2,"digest":")" + digest_of('4') + R"("},"layers":[],"subject":{"mediaType":)"
      R"("application/vnd.oci.image.manifest.v1+json","size":3,"digest":")" + digest_of('5') +
      R"("}})";
  EXPECT_FALSE(translate_manifest(with_subject, mt::kOciManifest, mt::kDockerManifest));

  const std::string odd_layer =
      R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
      R"("size":2,"digest":")" + digest_of('4') + R"("},"layers":[{"mediaType":)"
      R"("application/x-custom","size":1,"digest":")" + digest_of('6') + R"("}]})";
  EXPECT_FALSE(translate_manifest(odd_layer, mt::kOciManifest, mt::kDockerManifest));
  // Toward OCI an unknown type is simply kept.
  EXPECT_TRUE(translate_manifest(odd_layer, mt::kDockerManifest, mt::kOciManifest));
}

TEST(ManifestTranslationTest, OnlySchema2AndOciManifests) {
  EXPECT_EQ(translate_manifest("{}", mt::kOciIndex, mt::kDockerManifestList).error().code,
            ErrorCode::kUnsupported);
  EXPECT_EQ(translate_manifest("{}", mt::kDockerManifest, mt::kDockerSchema1).error().code,
            ErrorCode::kUnsupported);
  EXPECT_EQ(translate_manifest("[1]", mt::kDockerManifest, mt::kOciManifest).error().code,
            ErrorCode::kManifestInvalid);
}

TEST(ManifestTranslationTest, NegotiateServesStoredBytesWhenAccepted) {
  const oci::Digest d = sha256_of(kDockerManifest);
  for (const std::vector<std::string>& accepted :
       {std::vector<std::string>{},
        std::vector<std::string>{std::string(mt::kOciManifest), std::string(mt::kDockerManifest)},
        std::vector<std::string>{"Application/VND.docker.distribution.manifest.v2+json; q=1"}}) {
    for (bool by_tag : {true, false}) {
      auto r = negotiate_manifest(kDockerManifest, mt::kDockerManifest, d, accepted, by_tag);
      ASSERT_TRUE(r);
      EXPECT_FALSE(r->translated);
      EXPECT_EQ(r->content, kDockerManifest);
      EXPECT_EQ(r->digest, d);
      EXPECT_EQ(r->media_type, mt::kDockerManifest);
    }
  }
}

TEST(ManifestTranslationTest, NegotiateTranslatesOnlyByTag) {
  const oci::Digest d = sha256_of(kDockerManifest);
  const std::vector<std::string> oci_only{std::string(mt::kOciManifest)};
  auto by_tag = negotiate_manifest(kDockerManifest, mt::kDockerManifest, d, oci_only, true);
  ASSERT_TRUE(by_tag);
  EXPECT_TRUE(by_tag->translated);
  EXPECT_EQ(by_tag->media_type, mt::kOciManifest);
  EXPECT_NE(by_tag->digest, d);

  auto by_digest = negotiate_manifest(kDockerManifest, mt::kDockerManifest, d, oci_only, false);
  ASSERT_FALSE(by_digest);
  EXPECT_EQ(by_digest.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(by_digest.error().message.find(std::string(mt::kDockerManifest)), std::string::npos);

  // No schema 1 and no index translation.
  const std::vector<std::string> schema1{std::string(mt::kDockerSchema1)};
  EXPECT_FALSE(negotiate_manifest(kDockerManifest, mt::kDockerManifest, d, schema1, true));
  const std::vector<std::string> images{std::string(mt::kOciManifest),
                                        std::string(mt::kDockerManifest)};
  EXPECT_FALSE(negotiate_manifest("{}", mt::kOciIndex, d, images, true));
}

TEST(ManifestTranslationTest, MediaTypeTables) {
  EXPECT_EQ(docker_to_oci_media_type(mt::kDockerConfig), mt::kOciConfig);
  EXPECT_EQ(oci_to_docker_media_type("application/vnd.oci.image.layer.v1.tar+zstd"),
            "application/vnd.docker.image.rootfs.diff.tar.zstd");
  EXPECT_FALSE(oci_to_docker_media_type(mt::kOciEmpty));
  EXPECT_FALSE(docker_to_oci_media_type("application/vnd.docker.plugin.v1+json"));
}

}  // namespace
}  // namespace berth::api::ecr
