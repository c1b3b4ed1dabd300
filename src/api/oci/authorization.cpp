#include "api/oci/authorization.hpp"

#include "http/offload.hpp"

namespace berth::api::oci {

namespace {

using Verb = http::beast_http::verb;

constexpr std::string_view kBatchGetImage = "ecr:BatchGetImage";
constexpr std::string_view kGetDownloadUrlForLayer = "ecr:GetDownloadUrlForLayer";
constexpr std::string_view kBatchCheckLayerAvailability = "ecr:BatchCheckLayerAvailability";
constexpr std::string_view kInitiateLayerUpload = "ecr:InitiateLayerUpload";
constexpr std::string_view kUploadLayerPart = "ecr:UploadLayerPart";
constexpr std::string_view kCompleteLayerUpload = "ecr:CompleteLayerUpload";
constexpr std::string_view kPutImage = "ecr:PutImage";
constexpr std::string_view kBatchDeleteImage = "ecr:BatchDeleteImage";
constexpr std::string_view kDescribeRepositories = "ecr:DescribeRepositories";

std::vector<std::string_view> actions_for(RouteKind kind, Verb method) {
  const bool read = method == Verb::get || method == Verb::head;
  switch (kind) {
    case RouteKind::kCatalog:
      return {kDescribeRepositories};
    case RouteKind::kTagsList:
    case RouteKind::kReferrers:
      return {kBatchGetImage};
    case RouteKind::kManifest:
      if (read) return {kBatchGetImage};
      if (method == Verb::put) return {kPutImage};
      if (method == Verb::delete_) return {kBatchDeleteImage};
      return {};
    case RouteKind::kBlob:
      if (method == Verb::get) return {kGetDownloadUrlForLayer};
      if (method == Verb::head) return {kBatchCheckLayerAvailability, kGetDownloadUrlForLayer};
      if (method == Verb::delete_) return {kBatchDeleteImage};
      return {};
    case RouteKind::kUploadStart:
      return {kInitiateLayerUpload};
    case RouteKind::kUpload:
      if (method == Verb::put) return {kCompleteLayerUpload};
      return {kUploadLayerPart};
    case RouteKind::kBase:
    case RouteKind::kUnknown:
      break;
  }
  return {};
}

}  // namespace

std::vector<RequiredAccess> required_access(const RouteMatch& route, const http::Request& request,
                                            std::string_view registry_id) {
  std::vector<RequiredAccess> out;
  auto actions = actions_for(route.kind, request.method);
  if (actions.empty()) return out;
  const access::Scope scope =
      route.kind == RouteKind::kCatalog ? access::Scope::kRepositories : access::Scope::kRepository;
  out.push_back({access::Target{std::string(registry_id), route.name, scope}, std::move(actions)});
  if (route.kind == RouteKind::kUploadStart) {
    const auto mount = request.query_param("mount");
    const auto from = request.query_param("from");
    if (mount && from && !from->empty() && *from != route.name) {
      out.push_back({access::Target{std::string(registry_id), std::string(*from),
                                    access::Scope::kRepository},
                     {kBatchGetImage}});
    }
  }
  return out;
}

Status authorize_now(access::AccessControl& access, const auth::Identity& who,
                     const std::vector<RequiredAccess>& required,
                     const access::RequestFacts& facts,
                     std::optional<registry::RepositoryRecord>& repository_read) {
  for (std::size_t i = 0; i < required.size(); ++i) {
    const RequiredAccess& r = required[i];
    if (i == 0) {
      BERTH_TRY_STATUS(access.authorize_any(who, r.any_of, r.target, facts, repository_read));
    } else {
      BERTH_TRY_STATUS(access.authorize_any(who, r.any_of, r.target, facts));
    }
  }
  return ok();
}

boost::asio::awaitable<Status> authorize_request(access::AccessControl& access,
                                                 boost::asio::thread_pool& blocking,
                                                 const auth::Identity& who,
                                                 std::vector<RequiredAccess> required,
                                                 access::RequestFacts facts) {
  if (required.empty()) co_return ok();
  co_return co_await http::offload(blocking, [&]() -> Status {
    std::optional<registry::RepositoryRecord> unused;
    return authorize_now(access, who, required, facts, unused);
  });
}

}  // namespace berth::api::oci
