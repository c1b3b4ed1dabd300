#include "http/message.hpp"

namespace berth::http {

std::optional<std::string_view> Request::query_param(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view Request::header(std::string_view name) const {
  const auto it = headers.find(name);
  if (it == headers.end()) return {};
  return it->value();
}

}  // namespace berth::http
