#include "app/front_door.hpp"

namespace berth::app {

namespace {
bool is_oci_path(std::string_view path) {
  return path == "/v2" || path.starts_with("/v2/");
}
}  // namespace

boost::asio::awaitable<http::Response> FrontDoor::handle(http::Request& request) {
  if (is_oci_path(request.path)) {
    co_return co_await oci_.handle(request);
  }
  if (ops_ && OpsEndpoints::owns(request)) co_return co_await ops_->handle(request, Listener::kMain);
  if (api::ecr::EcrApi::owns(request)) co_return co_await ecr_.handle(request);
  if (api::console::ConsoleApi::owns(request)) co_return co_await console_.handle(request);
  http::Response response(http::beast_http::status::not_found);
  response.headers.set(http::beast_http::field::content_type, "application/json");
  response.body = R"({"errors":[{"code":"NOT_FOUND","message":"no such endpoint"}]})";
  co_return response;
}

}  // namespace berth::app
