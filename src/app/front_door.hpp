// FrontDoor: the one HTTP handler of the listener. It sends each request to
// the protocol that owns it:
//   - /v2 and /v2/...                       -> the OCI API (which runs the
//                                              /v2/ authentication gate);
//   - GET /metrics, /livez, /readyz         -> the operator's endpoints,
//                                              when given (ops_endpoints.hpp);
//   - POST /, and GET /?Action=<Operation>  -> the ECR API;
//   - /console and /console/...             -> the web console;
//   - anything else                         -> a JSON 404.
//
// Thread-safety: stateless after construction; handle() runs concurrently.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/console/console_api.hpp"
#include "api/ecr/ecr_api.hpp"
#include "api/oci/oci_api.hpp"
#include "app/ops_endpoints.hpp"
#include "http/message.hpp"

namespace berth::app {

class FrontDoor {
 public:
  FrontDoor(api::oci::OciApi& oci, api::ecr::EcrApi& ecr, api::console::ConsoleApi& console,
            OpsEndpoints* ops = nullptr)
      : oci_(oci), ecr_(ecr), console_(console), ops_(ops) {}

  boost::asio::awaitable<http::Response> handle(http::Request& request);

 private:
  api::oci::OciApi& oci_;
  api::ecr::EcrApi& ecr_;
  api::console::ConsoleApi& console_;
  OpsEndpoints* ops_;  // null: no operator endpoints
};

}  // namespace berth::app
