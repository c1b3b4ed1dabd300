// Fuzz target: manifest and index parsing (oci/manifest.hpp parse_manifest),
// the body of every PUT /v2/<name>/manifests/<ref> and ECR PutImage.
//
// Input format: the first line is the request's Content-Type ("" when the
// input has no newline), the rest is the manifest body. Seeds in
// fuzz/corpus/manifest/ are real OCI and Docker manifests and indexes.
//
// Checked beyond "no sanitizer report": an accepted manifest is internally
// consistent (its kind matches its media type and fields, every descriptor
// digest re-parses), parsing is deterministic, and a refusal is
// kManifestInvalid with a bounded message (hostile bytes are not echoed
// back in bulk).
#include <string>
#include <tuple>

#include "fuzz_support.hpp"
#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace {

using berth::oci::Descriptor;
using berth::oci::ManifestKind;
using berth::oci::ParsedManifest;

constexpr std::size_t kMaxMessage = 2048;
constexpr std::size_t kMaxDetail = 300;

void check_descriptor(const Descriptor &d) {
  FUZZ_CHECK(!d.media_type.empty(), "descriptor without a media type accepted");
  FUZZ_CHECK(!d.digest.empty(), "descriptor without a digest accepted");
  auto again = berth::oci::Digest::parse(d.digest.str());
  FUZZ_CHECK(again && *again == d.digest, "descriptor digest does not re-parse");
  if (d.platform) {
    FUZZ_CHECK(!d.platform->architecture.empty() && !d.platform->os.empty(),
               "platform without architecture or os accepted");
  }
}

void check_accepted(const ParsedManifest &m) {
  namespace mt = berth::oci::media_types;
  FUZZ_CHECK(mt::is_manifest_media_type(m.media_type), "unsupported media type accepted");
  bool index = mt::is_index_media_type(m.media_type);
  FUZZ_CHECK(index == (m.kind == ManifestKind::kIndex), "kind does not match media type");
  if (m.kind == ManifestKind::kImage) {
    FUZZ_CHECK(m.config.has_value(), "image without config accepted");
    FUZZ_CHECK(m.manifests.empty(), "image with child manifests accepted");
    check_descriptor(*m.config);
    for (const auto &d : m.layers) check_descriptor(d);
  } else {
    FUZZ_CHECK(!m.config.has_value() && m.layers.empty(), "index with config or layers accepted");
    for (const auto &d : m.manifests) check_descriptor(d);
  }
  if (m.subject) check_descriptor(*m.subject);
  (void)berth::oci::effective_artifact_type(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text = berth::fuzz::as_text(data, size);
  std::string_view content_type, body = text;  // no newline: all body
  if (text.find('\n') != std::string_view::npos) {
    std::tie(content_type, body) = berth::fuzz::split_first_line(text);
  }
  auto parsed = berth::oci::parse_manifest(body, content_type);
  if (!parsed) {
    const berth::Error &e = parsed.error();
    FUZZ_CHECK(e.code == berth::ErrorCode::kManifestInvalid, "refusal is not kManifestInvalid");
    if (e.message.size() > kMaxMessage) {
      if (e.message.find("unsupported digest algorithm") != std::string::npos &&
          !FUZZ_CHECK_OPEN("oci:digest-algorithm-echoed", false,
                           "Digest::parse echoes the whole algorithm component")) {
        return 0;
      }
      std::fprintf(stderr, "%zu-byte message: %.400s...\n", e.message.size(), e.message.c_str());
    }
    FUZZ_CHECK(e.message.size() <= kMaxMessage, "error message echoes too much input");
    FUZZ_CHECK(e.detail.size() <= kMaxDetail, "error detail echoes too much input");
    return 0;
  }
  check_accepted(*parsed);
  auto again = berth::oci::parse_manifest(body, content_type);
  FUZZ_CHECK(again && again->media_type == parsed->media_type && again->kind == parsed->kind &&
                 again->layers.size() == parsed->layers.size() &&
                 again->manifests.size() == parsed->manifests.size(),
             "parse_manifest is not deterministic");
  return 0;
}
