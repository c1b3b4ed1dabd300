#include "api/ecr/manifest_translation.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <utility>

#include "crypto/hasher.hpp"
#include "oci/media_types.hpp"

namespace berth::api::ecr {

namespace json = boost::json;
namespace mt = oci::media_types;

namespace {

// Docker type, OCI type. Layer types as containerd names them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kMediaTypePairs = {{
    {mt::kDockerManifest, mt::kOciManifest},
    {mt::kDockerConfig, mt::kOciConfig},
    {"application/vnd.docker.image.rootfs.diff.tar.gzip",
     "application/vnd.oci.image.layer.v1.tar+gzip"},
    {"application/vnd.docker.image.rootfs.diff.tar", "application/vnd.oci.image.layer.v1.tar"},
    {"application/vnd.docker.image.rootfs.diff.tar.zstd",
     "application/vnd.oci.image.layer.v1.tar+zstd"},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
     "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar",
     "application/vnd.oci.image.layer.nondistributable.v1.tar"},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.zstd",
     "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"},
    {mt::kDockerManifestList, mt::kOciIndex},
}};

enum class Direction { kDockerToOci, kOciToDocker };

std::unexpected<Error> unsupported(std::string message) {
  return fail(ErrorCode::kUnsupported, std::move(message));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "Type/Sub ; q=1" -> "type/sub".
std::string bare_lower(std::string_view media_type) {
  std::string_view s = media_type.substr(0, media_type.find(';'));
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return lower(s);
}

bool accepts(const std::vector<std::string>& accepted, std::string_view media_type) {
  const std::string want = bare_lower(media_type);
  return std::any_of(accepted.begin(), accepted.end(),
                     [&](const std::string& a) { return bare_lower(a) == want; });
}

// Maps a descriptor's mediaType in place. `required` descriptors (OCI ->
// Docker) must have a mapping; otherwise unknown types are kept.
Status map_descriptor(json::value& descriptor, Direction direction, std::string_view what) {
  if (!descriptor.is_object()) {
    return fail(ErrorCode::kManifestInvalid, std::string(what) + " is not an object");
  }
  json::object& obj = descriptor.get_object();
  json::value* type = obj.if_contains("mediaType");
  if (type == nullptr || !type->is_string()) {
    return fail(ErrorCode::kManifestInvalid, std::string(what) + " has no mediaType");
  }
  const std::string_view current = type->get_string();
  if (direction == Direction::kDockerToOci) {
    if (auto mapped = docker_to_oci_media_type(current)) *type = *mapped;
    return ok();
  }
  auto mapped = oci_to_docker_media_type(current);
  if (!mapped) {
    return unsupported(std::string(what) + " media type '" + std::string(current) +
                       "' has no Docker schema 2 equivalent");
  }
  *type = *mapped;
  return ok();
}

// Sets the top-level mediaType, keeping its position or, when absent,
// placing it right after schemaVersion as Docker does.
json::object with_media_type(const json::object& in, std::string_view media_type) {
  if (in.contains("mediaType")) {
    json::object out = in;
    out["mediaType"] = media_type;
    return out;
  }
  json::object out;
  out.reserve(in.size() + 1);
  bool placed = false;
  for (const auto& member : in) {
    out.emplace(member.key(), member.value());
    if (member.key() == "schemaVersion") {
      out.emplace("mediaType", media_type);
      placed = true;
    }
  }
  if (!placed) out.emplace("mediaType", media_type);
  return out;
}

}  // namespace

std::optional<std::string_view> docker_to_oci_media_type(std::string_view docker_type) {
  for (const auto& [docker, oci] : kMediaTypePairs) {
    if (docker == docker_type) return oci;
  }
  return std::nullopt;
}

std::optional<std::string_view> oci_to_docker_media_type(std::string_view oci_type) {
  for (const auto& [docker, oci] : kMediaTypePairs) {
    if (oci == oci_type) return docker;
  }
  return std::nullopt;
}

Result<ServedManifest> translate_manifest(std::string_view content, std::string_view media_type,
                                          std::string_view target) {
  Direction direction;
  if (media_type == mt::kDockerManifest && target == mt::kOciManifest) {
    direction = Direction::kDockerToOci;
  } else if (media_type == mt::kOciManifest && target == mt::kDockerManifest) {
    direction = Direction::kOciToDocker;
  } else {
    return unsupported("no translation from '" + std::string(media_type) + "' to '" +
                       std::string(target) + "'");
  }

  boost::system::error_code ec;
  json::value root = json::parse(content, ec);
  if (ec || !root.is_object()) {
    return fail(ErrorCode::kManifestInvalid, "stored manifest is not a JSON object");
  }
  json::object manifest = with_media_type(root.get_object(), target);

  if (direction == Direction::kOciToDocker) {
    for (std::string_view oci_only : {"artifactType", "subject"}) {
      if (manifest.contains(oci_only)) {
        return unsupported("an OCI manifest with '" + std::string(oci_only) +
                           "' has no Docker schema 2 form");
      }
    }
  }
  json::value* config = manifest.if_contains("config");
  if (config == nullptr) return fail(ErrorCode::kManifestInvalid, "manifest has no config");
  if (direction == Direction::kOciToDocker && config->is_object()) {
    // Only an image config becomes a Docker image config; an artifact's
    // config (Helm, signatures, the empty descriptor) is not an image.
    const json::value* type = config->get_object().if_contains("mediaType");
    if (type == nullptr || !type->is_string() || type->get_string() != mt::kOciConfig) {
      return unsupported("the config is not an OCI image config");
    }
  }
  BERTH_TRY_STATUS(map_descriptor(*config, direction, "config"));
  if (json::value* layers = manifest.if_contains("layers")) {
    if (!layers->is_array()) return fail(ErrorCode::kManifestInvalid, "layers is not an array");
    for (json::value& layer : layers->get_array()) {
      BERTH_TRY_STATUS(map_descriptor(layer, direction, "layer"));
    }
  }

  ServedManifest served;
  served.content = json::serialize(manifest);
  served.media_type = std::string(target);
  served.digest =
      oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(served.content));
  served.translated = true;
  return served;
}

Result<ServedManifest> negotiate_manifest(std::string_view content, std::string_view media_type,
                                          const oci::Digest& digest,
                                          const std::vector<std::string>& accepted, bool by_tag) {
  if (accepted.empty() || accepts(accepted, media_type)) {
    return ServedManifest{std::string(content), std::string(media_type), digest, false};
  }
  std::string why = "the image's manifest media type '" + std::string(media_type) +
                    "' is not among acceptedMediaTypes";
  if (!by_tag) return unsupported(why + " (images pulled by digest are never translated)");
  std::optional<std::string_view> target;
  if (media_type == mt::kDockerManifest) target = mt::kOciManifest;
  if (media_type == mt::kOciManifest) target = mt::kDockerManifest;
  if (!target || !accepts(accepted, *target)) return unsupported(why);
  auto translated = translate_manifest(content, media_type, *target);
  if (!translated) {
    return unsupported(why + " and it cannot be translated: " + translated.error().message);
  }
  return translated;
}

}  // namespace berth::api::ecr
