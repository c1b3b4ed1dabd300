#include "events/config.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

namespace berth::events {

namespace json = boost::json;

namespace {

using Kind = registry::RegistryEvent::Kind;

constexpr Kind kAllKinds[] = {Kind::kImagePushed,       Kind::kTagMoved,
                              Kind::kTagDeleted,        Kind::kImageDeleted,
                              Kind::kRepositoryCreated, Kind::kRepositoryDeleted};

Status invalid(const std::string& where, const std::string& what) {
  return fail(ErrorCode::kInvalidArgument, "events config: " + where + ": " + what);
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

Result<double> positive_number(const json::value& v, const std::string& where) {
  double out = 0;
  if (v.is_int64()) {
    out = static_cast<double>(v.as_int64());
  } else if (v.is_uint64()) {
    out = static_cast<double>(v.as_uint64());
  } else if (v.is_double()) {
    out = v.as_double();
  } else {
    return std::unexpected(invalid(where, "must be a number").error());
  }
  if (!(out > 0) || out > 1e9) return std::unexpected(invalid(where, "must be > 0").error());
  return out;
}

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

Status parse_endpoint(const json::value& value, std::size_t index, Endpoint& out) {
  const std::string where = "endpoints[" + std::to_string(index) + "]";
  if (!value.is_object()) return invalid(where, "must be an object");
  bool has_url = false;
  for (const auto& [key, v] : value.as_object()) {
    const std::string field = where + "." + std::string(key);
    if (key == "name") {
      if (!v.is_string() || !valid_name(v.as_string())) {
        return invalid(field, "must be 1 to 64 of a-z 0-9 - _");
      }
      out.name = std::string(v.as_string());
    } else if (key == "url") {
      if (!v.is_string()) return invalid(field, "must be a string");
      const std::string_view url = v.as_string();
      if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return invalid(field, "must start with http:// or https://");
      }
      out.url = std::string(url);
      has_url = true;
    } else if (key == "events") {
      if (!v.is_array() || v.as_array().empty()) return invalid(field, "must be a non-empty list");
      for (const auto& name : v.as_array()) {
        const auto* kind = name.is_string()
                               ? std::find_if(std::begin(kAllKinds), std::end(kAllKinds),
                                              [&](Kind k) { return std::string_view(name.as_string()) == registry::to_string(k); })
                               : std::end(kAllKinds);
        if (kind == std::end(kAllKinds)) {
          return invalid(field, "unknown event " + json::serialize(name) +
                                    " (image.pushed, tag.deleted, image.deleted, "
                                    "repository.created, repository.deleted)");
        }
        out.kinds.insert(*kind);
      }
    } else if (key == "format") {
      const std::string_view format = v.is_string() ? std::string_view(v.as_string()) : "";
      if (format == "cloudevents") {
        out.format = BodyFormat::kCloudEvents;
      } else if (format == "ecr") {
        out.format = BodyFormat::kEcrEventBridge;
      } else {
        return invalid(field, "must be \"cloudevents\" or \"ecr\"");
      }
    } else if (key == "secret") {
      if (!v.is_string() || v.as_string().empty()) return invalid(field, "must be a non-empty string");
      out.secret = std::string(v.as_string());
    } else if (key == "headers") {
      if (!v.is_object()) return invalid(field, "must be an object of strings");
      for (const auto& [name, header] : v.as_object()) {
        if (!header.is_string()) return invalid(field, "must be an object of strings");
        out.headers.emplace_back(std::string(name), std::string(header.as_string()));
      }
    } else if (key == "timeout_seconds") {
      out.timeout = seconds(BERTH_TRY(positive_number(v, field)));
    } else if (key == "retry_initial_seconds") {
      out.retry_initial = seconds(BERTH_TRY(positive_number(v, field)));
    } else if (key == "retry_max_seconds") {
      out.retry_max = seconds(BERTH_TRY(positive_number(v, field)));
    } else if (key == "max_attempts") {
      out.max_attempts = static_cast<unsigned>(BERTH_TRY(positive_number(v, field)));
    } else if (key == "queue_limit") {
      out.queue_limit = static_cast<std::size_t>(BERTH_TRY(positive_number(v, field)));
    } else {
      return invalid(field, "unknown key");
    }
  }
  if (out.name.empty()) return invalid(where, "needs a name");
  if (!has_url) return invalid(where, "needs a url");
  if (out.kinds.empty()) out.kinds.insert(std::begin(kAllKinds), std::end(kAllKinds));
  if (out.retry_max < out.retry_initial) out.retry_max = out.retry_initial;
  return ok();
}

}  // namespace

Result<EventsConfig> parse_events_config(std::string_view json_text) {
  boost::system::error_code ec;
  json::value doc = json::parse(json_text, ec);
  if (ec) return fail(ErrorCode::kInvalidArgument, "events config: not JSON: " + ec.message());
  if (!doc.is_object()) return fail(ErrorCode::kInvalidArgument, "events config: must be an object");
  EventsConfig out;
  for (const auto& [key, v] : doc.as_object()) {
    if (key != "endpoints") {
      return fail(ErrorCode::kInvalidArgument,
                  "events config: unknown key \"" + std::string(key) + "\"");
    }
    if (!v.is_array()) return fail(ErrorCode::kInvalidArgument, "events config: endpoints must be a list");
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      Endpoint endpoint;
      BERTH_TRY_STATUS(parse_endpoint(v.as_array()[i], i, endpoint));
      for (const Endpoint& other : out.endpoints) {
        if (other.name == endpoint.name) {
          return fail(ErrorCode::kInvalidArgument,
                      "events config: two endpoints are named \"" + endpoint.name + "\"");
        }
      }
      out.endpoints.push_back(std::move(endpoint));
    }
  }
  return out;
}

Result<EventsConfig> load_events_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(ErrorCode::kInvalidArgument, "cannot read events config " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_events_config(text.str());
  if (!parsed) {
    Error error = parsed.error();
    error.message = file.string() + ": " + error.message;
    return std::unexpected(std::move(error));
  }
  return parsed;
}

std::chrono::milliseconds retry_delay(const Endpoint& endpoint, unsigned failures) {
  auto delay = endpoint.retry_initial;
  for (unsigned i = 1; i < failures && delay < endpoint.retry_max; ++i) delay *= 2;
  return std::min(delay, endpoint.retry_max);
}

}  // namespace berth::events
