// Fuzz target: an HTTP request head as berth receives it, up to the point
// where a handler is chosen: Beast's header parser with the server's header
// limit (64 KiB, http/server.hpp), then berth's own decoding of what it
// parsed: the request target (http/target.hpp parse_target, percent_decode),
// the /v2/ route and repository name (api/oci/router.hpp), and the headers
// berth interprets itself: Range and Content-Range (api/oci/ranges.hpp),
// Accept (api/oci/negotiation.hpp).
//
// Input format: raw bytes off the wire ("GET /v2/a/manifests/v1 HTTP/1.1\r\n
// Host: x\r\n\r\n"). Seeds in fuzz/corpus/http_request/ are requests the
// integration suite's clients send.
//
// Checked beyond "no sanitizer report":
//  - a decoded path or query never holds NUL; decoding never grows;
//  - http::percent_decode and the SigV4 decoder auth::percent_decode agree
//    on every input the server accepts (the server routes on one, the
//    signature covers the other);
//  - a routed repository name passes validate_repository_name and the
//    route's tail holds no '/' (no traversal through names or tails);
//  - a partial Range lies inside the blob; a Content-Range is ordered;
//    Accept items are lowercase, trimmed and parameter-free.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "api/oci/negotiation.hpp"
#include "api/oci/ranges.hpp"
#include "api/oci/router.hpp"
#include "auth/sigv4_canonical.hpp"
#include "fuzz_support.hpp"
#include "http/target.hpp"
#include "oci/reference.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace api = berth::api::oci;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;  // ServerOptions::header_limit default

void check_decode(std::string_view raw) {
  for (bool plus : {false, true}) {
    auto d = berth::http::percent_decode(raw, plus);
    if (!d) continue;
    FUZZ_CHECK(d->find('\0') == std::string::npos, "decoded NUL");
    FUZZ_CHECK(d->size() <= raw.size(), "decoding grew the input");
    if (!plus) {
      FUZZ_CHECK(*d == berth::auth::percent_decode(raw),
                 "http and SigV4 percent-decoding disagree");
    }
  }
}

void check_route(std::string_view path) {
  auto route = api::parse_route(path);
  if (!route) {
    FUZZ_CHECK(route.error().code == berth::ErrorCode::kNameInvalid, "route error code");
    return;
  }
  switch (route->kind) {
    case api::RouteKind::kBase:
    case api::RouteKind::kCatalog:
    case api::RouteKind::kUnknown:
      return;
    default:
      break;
  }
  FUZZ_CHECK(berth::oci::validate_repository_name(route->name).has_value(),
             "routed to an invalid repository name");
  FUZZ_CHECK(route->tail.find('/') == std::string::npos, "route tail holds a '/'");
  (void)api::allow_header_value(route->kind);
}

void check_target(std::string_view target) {
  auto parsed = berth::http::parse_target(target);
  if (!parsed) return;
  FUZZ_CHECK(parsed->path.find('\0') == std::string::npos, "NUL in decoded path");
  for (const auto &[k, v] : parsed->query) {
    FUZZ_CHECK(k.find('\0') == std::string::npos && v.find('\0') == std::string::npos,
               "NUL in decoded query");
  }
  check_decode(target.substr(0, target.find('?')));
  if (auto q = target.find('?'); q != std::string_view::npos) check_decode(target.substr(q + 1));
  check_route(parsed->path);
}

void check_range(std::string_view value) {
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4096},
                             std::numeric_limits<std::uint64_t>::max()}) {
    api::RangeSelection r = api::select_range(value, size);
    if (r.kind == api::RangeKind::kPartial) {
      FUZZ_CHECK(r.range.first <= r.range.last && r.range.last < size, "range outside the blob");
      (void)api::content_range_value(r.range, size);
    }
  }
}

void check_accept(const std::vector<std::string_view> &values) {
  auto accepted = api::parse_accept(values);
  for (const auto &item : accepted) {
    FUZZ_CHECK(!item.empty(), "empty Accept item");
    FUZZ_CHECK(item.find_first_of(",;") == std::string::npos, "Accept item with , or ;");
    FUZZ_CHECK(item.front() != ' ' && item.back() != ' ', "Accept item not trimmed");
    FUZZ_CHECK(berth::auth::ascii_lower(item) == item, "Accept item not lowercase");
  }
  (void)api::accepts_manifest(accepted, "application/vnd.oci.image.manifest.v1+json");
  (void)api::accepts_manifest(accepted,
                              "application/vnd.docker.distribution.manifest.list.v2+json");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.eager(false);
  beast::error_code ec;
  std::size_t offset = 0;
  while (!parser.is_header_done()) {
    std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    offset += used;
    if (ec == http::error::need_more && used > 0) {
      ec = {};
      continue;
    }
    if (ec || used == 0) return 0;  // refused, or the head never ends
  }

  const auto &req = parser.get();
  check_target(std::string_view(req.target().data(), req.target().size()));
  std::vector<std::string_view> accept;
  for (const auto &field : req) {
    std::string_view name(field.name_string().data(), field.name_string().size());
    std::string_view value(field.value().data(), field.value().size());
    std::string lower = berth::auth::ascii_lower(name);
    if (lower == "range") {
      check_range(value);
    } else if (lower == "content-range") {
      if (auto r = api::parse_content_range(value)) {
        FUZZ_CHECK(r->first <= r->last, "Content-Range end before start");
      }
    } else if (lower == "accept") {
      accept.push_back(value);
    }
  }
  check_accept(accept);
  return 0;
}
