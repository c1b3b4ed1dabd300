// FrontDoor: the one HTTP handler of the listener. It sends each request to
// the protocol that owns it — /v2/ to the OCI API — and answers anything
// else with a JSON 404.
//
// Thread-safety: stateless after construction; handle() runs concurrently.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/oci/oci_api.hpp"
#include "http/message.hpp"

namespace berth::app {

class FrontDoor {
 public:
  explicit FrontDoor(api::oci::OciApi& oci) : oci_(oci) {}
  boost::asio::awaitable<http::Response> handle(http::Request& request);

 private:
  api::oci::OciApi& oci_;
};

}  // namespace berth::app
