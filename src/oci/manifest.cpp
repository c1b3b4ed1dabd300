#include "oci/manifest.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "oci/media_types.hpp"

namespace berth::oci {

namespace json = boost::json;

namespace {

// Real manifests nest about five levels; 64 leaves room for extensions in
// annotations-free fields while stopping pathological inputs early.
constexpr std::size_t kMaxJsonDepth = 64;
constexpr std::size_t kMaxDetailLength = 300;

constexpr std::string_view kSchema1Message =
    "Docker schema 1 manifests are not supported; push schema 2 or OCI";

std::unexpected<Error> invalid(std::string message, std::string_view detail = {}) {
  return fail(ErrorCode::kManifestInvalid, std::move(message),
              std::string(detail.substr(0, kMaxDetailLength)));
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s.substr(0, kMaxDetailLength)) + "\"";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The bare type/subtype of a Content-Type header: parameters dropped and
// lowercased, since RFC 9110 makes type and subtype case-insensitive.
std::string bare_media_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string out(trim(content_type.substr(0, semi)));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Go encoders write a nil slice or map as null; treat it as "absent" so
// manifests produced that way round-trip.
const json::value* field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

std::string join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out.append(".").append(key);
  return out;
}

std::string indexed(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// Absent -> "", present non-string -> error.
Result<std::string> optional_string(const json::object& obj, std::string_view key,
                                    std::string_view path) {
  const json::value* v = field(obj, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return invalid(join(path, key) + ": must be a string");
  return std::string(v->get_string());
}

Result<std::string> required_string(const json::object& obj, std::string_view key,
                                    std::string_view path) {
  const json::value* v = field(obj, key);
  if (v == nullptr) return invalid(join(path, key) + ": is required");
  if (!v->is_string()) return invalid(join(path, key) + ": must be a string");
  if (v->get_string().empty()) return invalid(join(path, key) + ": must not be empty");
  return std::string(v->get_string());
}

Result<std::map<std::string, std::string>> parse_annotations(const json::object& obj,
                                                             std::string_view path) {
  std::map<std::string, std::string> out;
  const json::value* v = field(obj, "annotations");
  if (v == nullptr) return out;
  std::string where = join(path, "annotations");
  if (!v->is_object()) return invalid(where + ": must be an object of strings");
  for (const auto& kv : v->get_object()) {
    if (!kv.value().is_string()) {
      return invalid(where + "[" + quoted(kv.key()) + "]: must be a string");
    }
    out.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
  }
  return out;
}

Result<Platform> parse_platform(const json::value& v, std::string_view path) {
  if (!v.is_object()) return invalid(std::string(path) + ": must be an object");
  const json::object& obj = v.get_object();
  Platform p;
  p.architecture = BERTH_TRY(required_string(obj, "architecture", path));
  p.os = BERTH_TRY(required_string(obj, "os", path));
  p.variant = BERTH_TRY(optional_string(obj, "variant", path));
  return p;
}

Result<std::uint64_t> parse_size(const json::object& obj, std::string_view path) {
  const json::value* v = field(obj, "size");
  std::string where = join(path, "size");
  if (v == nullptr) return invalid(where + ": is required");
  // Boost.JSON keeps integers as int64 when they fit, uint64 above that,
  // and anything with a fraction or exponent as double, which we refuse.
  if (const std::int64_t* i = v->if_int64()) {
    if (*i < 0) return invalid(where + ": must not be negative", std::to_string(*i));
    return static_cast<std::uint64_t>(*i);
  }
  if (const std::uint64_t* u = v->if_uint64()) return *u;
  return invalid(where + ": must be a non-negative integer");
}

Result<Descriptor> parse_descriptor(const json::value& v, std::string_view path) {
  if (!v.is_object()) return invalid(std::string(path) + ": must be an object");
  const json::object& obj = v.get_object();
  Descriptor d;
  d.media_type = BERTH_TRY(required_string(obj, "mediaType", path));

  const json::value* digest = field(obj, "digest");
  std::string digest_path = join(path, "digest");
  if (digest == nullptr) return invalid(digest_path + ": is required");
  if (!digest->is_string()) return invalid(digest_path + ": must be a string");
  std::string_view digest_text = digest->get_string();
  auto parsed = Digest::parse(digest_text);
  if (!parsed) {
    return invalid(digest_path + ": " + parsed.error().message + " (" + quoted(digest_text) + ")",
                   digest_text);
  }
  d.digest = std::move(*parsed);

  d.size = BERTH_TRY(parse_size(obj, path));
  d.artifact_type = BERTH_TRY(optional_string(obj, "artifactType", path));
  d.annotations = BERTH_TRY(parse_annotations(obj, path));
  if (const json::value* platform = field(obj, "platform")) {
    d.platform = BERTH_TRY(parse_platform(*platform, join(path, "platform")));
  }
  // "urls" and "data" are optional and carry nothing berth acts on.
  return d;
}

Result<std::vector<Descriptor>> parse_descriptor_array(const json::object& obj,
                                                       std::string_view key) {
  std::vector<Descriptor> out;
  const json::value* present = obj.if_contains(key);
  if (present == nullptr) return invalid(std::string(key) + ": is required");
  const json::value* v = field(obj, key);
  if (v == nullptr) return out;  // null: a Go client's empty slice
  if (!v->is_array()) return invalid(std::string(key) + ": must be an array");
  const json::array& arr = v->get_array();
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(BERTH_TRY(parse_descriptor(arr[i], indexed(key, i))));
  }
  return out;
}

bool is_schema1(std::string_view media_type) {
  return media_type == media_types::kDockerSchema1 ||
         media_type == media_types::kDockerSchema1Signed;
}

bool is_schema_version(const json::object& obj, std::int64_t version) {
  const json::value* v = field(obj, "schemaVersion");
  const std::int64_t* i = v == nullptr ? nullptr : v->if_int64();
  return i != nullptr && *i == version;
}

Status check_schema_version(const json::object& obj) {
  const json::value* v = field(obj, "schemaVersion");
  if (v == nullptr) return invalid("schemaVersion: is required and must be 2");
  if (!is_schema_version(obj, 2)) {
    return invalid("schemaVersion: must be 2, got " + json::serialize(*v).substr(0, 40));
  }
  return ok();
}

// Decides which media type governs the document, from the body's
// "mediaType" and the request's Content-Type.
Result<std::string> resolve_media_type(const json::object& obj, std::string_view content_type) {
  std::string body_type = BERTH_TRY(optional_string(obj, "mediaType", ""));
  std::string header_type = bare_media_type(content_type);
  // Generic JSON says nothing about which manifest this is; distribution
  // treats it like an absent header and so do we.
  if (header_type == "application/json") header_type.clear();

  if (is_schema1(body_type) || is_schema1(header_type)) return invalid(std::string(kSchema1Message));

  if (!body_type.empty() && !header_type.empty() && body_type != header_type) {
    return invalid("mediaType " + quoted(body_type) + " in the manifest does not match Content-Type " +
                       quoted(header_type),
                   header_type);
  }
  if (!body_type.empty()) return body_type;
  if (!header_type.empty()) return header_type;
  // Neither says: the OCI image spec lets a reader fall back on shape.
  if (const json::value* m = field(obj, "manifests"); m != nullptr && m->is_array()) {
    return std::string(media_types::kOciIndex);
  }
  if (field(obj, "config") != nullptr) return std::string(media_types::kOciManifest);
  return invalid(
      "manifest has no mediaType and no Content-Type, and has neither \"config\" nor "
      "\"manifests\" to infer one from");
}

Status parse_image_fields(const json::object& obj, ParsedManifest& m) {
  // Refusing documents that are both shapes at once stops a manifest being
  // read as an image by one client and as an index by another
  // (GHSA-mc8v-mgrf-8f4m).
  if (field(obj, "manifests") != nullptr) {
    return invalid("an image manifest must not have a \"manifests\" field");
  }
  const json::value* config = field(obj, "config");
  if (config == nullptr) return invalid("config: is required");
  m.config = BERTH_TRY(parse_descriptor(*config, "config"));
  m.layers = BERTH_TRY(parse_descriptor_array(obj, "layers"));
  // The image spec says artifactType MUST be set when config is the empty
  // descriptor; clients in the wild omit it, so that is not enforced.
  return ok();
}

Status parse_index_fields(const json::object& obj, ParsedManifest& m) {
  if (field(obj, "config") != nullptr || field(obj, "layers") != nullptr) {
    return invalid("an index must not have \"config\" or \"layers\" fields");
  }
  m.manifests = BERTH_TRY(parse_descriptor_array(obj, "manifests"));
  return ok();
}

}  // namespace

Result<ParsedManifest> parse_manifest(std::string_view bytes, std::string_view content_type) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value root = json::parse(bytes, ec, json::storage_ptr(), options);
  if (ec) {
    if (ec == json::error::too_deep) {
      return invalid("manifest JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                     " levels");
    }
    return invalid("manifest is not valid JSON: " + ec.message());
  }
  if (!root.is_object()) return invalid("manifest must be a JSON object");
  const json::object& obj = root.get_object();

  ParsedManifest m;
  // Schema 1 is recognised first, by version or media type, so such a
  // document gets the schema-1 message whatever else is wrong with it.
  if (is_schema_version(obj, 1)) return invalid(std::string(kSchema1Message));
  m.media_type = BERTH_TRY(resolve_media_type(obj, content_type));
  BERTH_TRY_STATUS(check_schema_version(obj));
  if (!media_types::is_manifest_media_type(m.media_type)) {
    return invalid("unsupported manifest media type " + quoted(m.media_type), m.media_type);
  }
  m.kind = media_types::is_index_media_type(m.media_type) ? ManifestKind::kIndex
                                                          : ManifestKind::kImage;
  if (m.kind == ManifestKind::kImage) {
    BERTH_TRY_STATUS(parse_image_fields(obj, m));
  } else {
    BERTH_TRY_STATUS(parse_index_fields(obj, m));
  }
  m.artifact_type = BERTH_TRY(optional_string(obj, "artifactType", ""));
  if (const json::value* subject = field(obj, "subject")) {
    m.subject = BERTH_TRY(parse_descriptor(*subject, "subject"));
  }
  m.annotations = BERTH_TRY(parse_annotations(obj, ""));
  return m;
}

std::string effective_artifact_type(const ParsedManifest& m) {
  if (!m.artifact_type.empty()) return m.artifact_type;
  if (m.kind == ManifestKind::kImage && m.config) return m.config->media_type;
  return {};
}

}  // namespace berth::oci
