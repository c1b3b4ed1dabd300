// GET /v2/<name>/tags/list?n=&last=
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

HandlerResult list_tags(const HandlerContext& ctx, const RouteMatch& route,
                        http::Request& request) {
  Result<PageRequest> page = parse_page_request(request.query_param("n"),
                                                request.query_param("last"),
                                                ctx.options.max_page_size);
  if (!page) co_return std::unexpected(std::move(page).error());
  const registry::RepositoryRef repo = ctx.repository(route.name);
  // One extra entry tells whether another page follows. With n=0 the call
  // still proves that the repository exists.
  Result<std::vector<std::string>> tags = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.list_tags(repo, page->last, page->n + 1);
  });
  if (!tags) co_return std::unexpected(std::move(tags).error());
  const bool more = tags->size() > page->n;
  if (more) tags->resize(page->n);

  boost::json::array names;
  names.reserve(tags->size());
  for (const std::string& tag : *tags) names.emplace_back(tag);
  boost::json::object body;
  body["name"] = route.name;
  body["tags"] = std::move(names);

  http::Response response = json_response(http::beast_http::status::ok, body);
  if (more && !tags->empty()) {
    response.headers.set(http::beast_http::field::link,
                         next_page_link(tags_list_path(route.name), page->n, tags->back()));
  }
  co_return response;
}

}  // namespace berth::api::oci
