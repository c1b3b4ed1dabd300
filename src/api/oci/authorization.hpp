// Authorization of /v2/ requests: each endpoint and method is the ECR action
// a client doing the same through the ECR API would need, decided by
// access::AccessControl for the password's identity:
//   pull    GET/HEAD manifest: ecr:BatchGetImage; GET blob:
//           ecr:GetDownloadUrlForLayer; tags/list and referrers:
//           ecr:BatchGetImage (reading what a pull reads)
//   push    POST uploads: ecr:InitiateLayerUpload (a mount also needs
//           ecr:BatchGetImage on the source repository); PATCH, GET and
//           DELETE of an upload: ecr:UploadLayerPart; PUT upload:
//           ecr:CompleteLayerUpload; PUT manifest: ecr:PutImage
//   HEAD blob  ecr:BatchCheckLayerAvailability or
//              ecr:GetDownloadUrlForLayer (pushers and pullers both ask)
//   delete  DELETE manifest or blob: ecr:BatchDeleteImage
//   catalog ecr:DescribeRepositories on every repository of the registry
// /v2/ itself only needs authentication.
//
// Thread-safety: pure functions plus one blocking call on the given pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <string_view>
#include <vector>

#include "access/access_control.hpp"
#include "api/oci/router.hpp"
#include "http/message.hpp"

namespace berth::api::oci {

struct RequiredAccess {
  access::Target target;
  // Allowed when any is; empty: nothing to check.
  std::vector<std::string_view> any_of;
};

// What the request needs, for a routed request; more than one entry when
// it reads one repository to write another (a cross-repository mount).
std::vector<RequiredAccess> required_access(const RouteMatch& route, const http::Request& request,
                                            std::string_view registry_id);

// Decides every requirement, blocking (the caller is on the blocking pool);
// the first refusal is returned (kDenied, AWS's message).
// `repository_read`: the record of the first requirement's repository, as
// the decision read it (AccessControl::authorize_any).
Status authorize_now(access::AccessControl& access, const auth::Identity& who,
                     const std::vector<RequiredAccess>& required,
                     const access::RequestFacts& facts,
                     std::optional<registry::RepositoryRecord>& repository_read);

// authorize_now on the blocking pool.
boost::asio::awaitable<Status> authorize_request(access::AccessControl& access,
                                                 boost::asio::thread_pool& blocking,
                                                 const auth::Identity& who,
                                                 std::vector<RequiredAccess> required,
                                                 access::RequestFacts facts);

}  // namespace berth::api::oci
