#include "api/oci/router.hpp"

#include <algorithm>

#include "oci/reference.hpp"

namespace berth::api::oci {

namespace {

using Verb = http::beast_http::verb;

constexpr std::string_view kPrefix = "/v2/";

// Splits `rest` = "<name><marker>" and returns the name when `rest` ends with
// the marker and a non-empty name precedes it.
bool strip_marker(std::string_view rest, std::string_view marker, std::string_view& name) {
  if (rest.size() <= marker.size() || !rest.ends_with(marker)) return false;
  name = rest.substr(0, rest.size() - marker.size());
  return !name.empty();
}

Result<RouteMatch> named_route(RouteKind kind, std::string_view name, std::string_view tail) {
  BERTH_TRY_STATUS(berth::oci::validate_repository_name(name));
  return RouteMatch{kind, std::string(name), std::string(tail)};
}

}  // namespace

Result<RouteMatch> parse_route(std::string_view path) {
  if (path == "/v2" || path == kPrefix) return RouteMatch{RouteKind::kBase, {}, {}};
  if (!path.starts_with(kPrefix)) return RouteMatch{};
  const std::string_view rest = path.substr(kPrefix.size());
  if (rest == "_catalog") return RouteMatch{RouteKind::kCatalog, {}, {}};

  std::string_view name;
  if (strip_marker(rest, "/tags/list", name)) return named_route(RouteKind::kTagsList, name, {});
  // The upload-start endpoint is "…/blobs/uploads/"; the form without the
  // trailing slash is accepted too (it can never be a blob: "uploads" is no
  // digest).
  if (strip_marker(rest, "/blobs/uploads/", name) || strip_marker(rest, "/blobs/uploads", name)) {
    return named_route(RouteKind::kUploadStart, name, {});
  }

  const std::size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos) return RouteMatch{};
  const std::string_view head = rest.substr(0, slash);
  const std::string_view tail = rest.substr(slash + 1);
  if (tail.empty()) return RouteMatch{};

  struct Marker {
    std::string_view text;
    RouteKind kind;
  };
  // "/blobs/uploads" before "/blobs": "<name>/blobs/uploads/<id>" is an
  // upload of <name>, never a blob of "<name>/blobs" (whose digest would
  // have to follow "/blobs/").
  static constexpr Marker kMarkers[] = {
      {"/manifests", RouteKind::kManifest},
      {"/referrers", RouteKind::kReferrers},
      {"/blobs/uploads", RouteKind::kUpload},
      {"/blobs", RouteKind::kBlob},
  };
  for (const Marker& marker : kMarkers) {
    if (strip_marker(head, marker.text, name)) return named_route(marker.kind, name, tail);
  }
  return RouteMatch{};
}

std::vector<Verb> allowed_methods(RouteKind kind) {
  switch (kind) {
    case RouteKind::kBase: return {Verb::get, Verb::head};
    case RouteKind::kCatalog: return {Verb::get};
    case RouteKind::kTagsList: return {Verb::get};
    case RouteKind::kManifest: return {Verb::get, Verb::head, Verb::put, Verb::delete_};
    case RouteKind::kReferrers: return {Verb::get};
    case RouteKind::kBlob: return {Verb::get, Verb::head, Verb::delete_};
    case RouteKind::kUploadStart: return {Verb::post};
    case RouteKind::kUpload: return {Verb::get, Verb::patch, Verb::put, Verb::delete_};
    case RouteKind::kUnknown: return {};
  }
  return {};
}

std::string allow_header_value(RouteKind kind) {
  std::string out;
  for (Verb verb : allowed_methods(kind)) {
    if (!out.empty()) out += ", ";
    out += http::beast_http::to_string(verb);
  }
  return out;
}

std::string_view route_name(RouteKind kind) {
  switch (kind) {
    case RouteKind::kBase: return "base";
    case RouteKind::kCatalog: return "catalog";
    case RouteKind::kTagsList: return "tags";
    case RouteKind::kManifest: return "manifest";
    case RouteKind::kReferrers: return "referrers";
    case RouteKind::kBlob: return "blob";
    case RouteKind::kUploadStart: return "upload-start";
    case RouteKind::kUpload: return "upload";
    case RouteKind::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace berth::api::oci
