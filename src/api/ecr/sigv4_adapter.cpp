#include "api/ecr/sigv4_adapter.hpp"

#include <utility>

namespace berth::api::ecr {

RawTarget split_raw_target(std::string_view target) {
  // Absolute-form: drop "scheme://authority"; what follows is the path.
  if (auto scheme = target.find("://"); scheme != std::string_view::npos &&
                                        target.substr(0, scheme).find('/') == std::string_view::npos) {
    auto rest = target.substr(scheme + 3);
    auto slash = rest.find_first_of("/?");
    target = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  return RawTarget{path.empty() ? std::string("/") : std::string(path), std::string(query)};
}

auth::SigV4Request to_sigv4_request(const http::Request& request,
                                    std::string payload_sha256_hex) {
  RawTarget raw = split_raw_target(request.target);
  auth::SigV4Request out;
  out.method = std::string(http::beast_http::to_string(request.method));
  out.raw_path = std::move(raw.path);
  out.raw_query = std::move(raw.query);
  for (const auto& field : request.headers) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.payload_sha256_hex = std::move(payload_sha256_hex);
  return out;
}

}  // namespace berth::api::ecr
