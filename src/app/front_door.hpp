// FrontDoor: the one HTTP handler of the listener. It sends each request to
// the protocol that owns it:
//   - /v2 and /v2/...                       -> the OCI API (which runs the
//                                              /v2/ authentication gate);
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
#include "http/message.hpp"

namespace berth::app {

class FrontDoor {
 public:
  FrontDoor(api::oci::OciApi& oci, api::ecr::EcrApi& ecr, api::console::ConsoleApi& console)
      : oci_(oci), ecr_(ecr), console_(console) {}

  boost::asio::awaitable<http::Response> handle(http::Request& request);

 private:
  api::oci::OciApi& oci_;
  api::ecr::EcrApi& ecr_;
  api::console::ConsoleApi& console_;
};

}  // namespace berth::app
