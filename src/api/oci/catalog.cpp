// GET /v2/_catalog?n=&last=
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/oci/handlers.hpp"
#include "api/oci/pagination.hpp"
#include "api/oci/responses.hpp"
#include "http/offload.hpp"

namespace berth::api::oci {

HandlerResult list_catalog(const HandlerContext& ctx, const RouteMatch& route,
                           http::Request& request) {
  Result<PageRequest> page = parse_page_request(request.query_param("n"),
                                                request.query_param("last"),
                                                ctx.options.max_page_size);
  if (!page) co_return std::unexpected(std::move(page).error());
  if (page->n == 0) {
    co_return json_response(http::beast_http::status::ok,
                            boost::json::object{{"repositories", boost::json::array{}}});
  }
  // One extra entry tells whether another page follows.
  Result<std::vector<std::string>> names = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.catalog(ctx.registry_id, page->last, page->n + 1);
  });
  if (!names) co_return std::unexpected(std::move(names).error());
  const bool more = names->size() > page->n;
  if (more) names->resize(page->n);

  boost::json::array repositories;
  repositories.reserve(names->size());
  for (const std::string& name : *names) repositories.emplace_back(name);
  boost::json::object body;
  body["repositories"] = std::move(repositories);

  http::Response response = json_response(http::beast_http::status::ok, body);
  if (more) {
    response.headers.set(http::beast_http::field::link,
                         next_page_link(catalog_path(), page->n, names->back()));
  }
  co_return response;
}

}  // namespace berth::api::oci
