// GET /v2/<name>/referrers/<digest>[?artifactType=]
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <utility>

#include "api/oci/handlers.hpp"
#include "api/oci/responses.hpp"
#include "http/offload.hpp"
#include "oci/digest.hpp"
#include "oci/media_types.hpp"

namespace berth::api::oci {

namespace {

boost::json::object descriptor_json(const berth::oci::Descriptor& descriptor) {
  boost::json::object out;
  out["mediaType"] = descriptor.media_type;
  out["digest"] = descriptor.digest.str();
  out["size"] = descriptor.size;
  if (!descriptor.artifact_type.empty()) out["artifactType"] = descriptor.artifact_type;
  if (!descriptor.annotations.empty()) {
    boost::json::object annotations;
    for (const auto& [key, value] : descriptor.annotations) annotations[key] = value;
    out["annotations"] = std::move(annotations);
  }
  return out;
}

}  // namespace

HandlerResult list_referrers(const HandlerContext& ctx, const RouteMatch& route,
                             http::Request& request) {
  Result<berth::oci::Digest> subject = berth::oci::Digest::parse(route.tail);
  if (!subject) co_return std::unexpected(std::move(subject).error());
  std::optional<std::string_view> artifact_type = request.query_param("artifactType");
  if (artifact_type && artifact_type->empty()) artifact_type.reset();

  const registry::RepositoryRef repo = ctx.repository(route.name);
  Result<registry::ReferrersResult> found = co_await http::offload(
      ctx.blocking, [&] { return ctx.registry.referrers(repo, *subject, artifact_type); });
  registry::ReferrersResult referrers;
  if (found) {
    referrers = std::move(*found);
  } else if (found.error().code == ErrorCode::kRepositoryNotFound ||
             found.error().code == ErrorCode::kManifestNotFound) {
    // The spec answers an unknown subject with an empty index, not a 404.
    referrers.filtered = artifact_type.has_value();
  } else {
    co_return std::unexpected(std::move(found).error());
  }

  boost::json::array manifests;
  manifests.reserve(referrers.manifests.size());
  for (const berth::oci::Descriptor& d : referrers.manifests) {
    manifests.emplace_back(descriptor_json(d));
  }
  boost::json::object index;
  index["schemaVersion"] = 2;
  index["mediaType"] = berth::oci::media_types::kOciIndex;
  index["manifests"] = std::move(manifests);

  http::Response response =
      json_response(http::beast_http::status::ok, index, berth::oci::media_types::kOciIndex);
  if (referrers.filtered) response.headers.set(kFiltersAppliedHeader, "artifactType");
  co_return response;
}

}  // namespace berth::api::oci
