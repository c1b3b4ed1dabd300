#include "http/target.hpp"

namespace berth::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status parse_query(std::string_view query,
                   std::vector<std::pair<std::string, std::string>>& out) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;  // "a=1&&b=2" carries no empty parameter
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    auto decoded_key = BERTH_TRY(percent_decode(key, true));
    auto decoded_value = BERTH_TRY(percent_decode(value, true));
    out.emplace_back(std::move(decoded_key), std::move(decoded_value));
  }
  return ok();
}

}  // namespace

Result<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return fail(ErrorCode::kInvalidArgument, "truncated percent escape",
                    std::string(in));
      }
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return fail(ErrorCode::kInvalidArgument, "invalid percent escape",
                    std::string(in));
      }
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') {
        return fail(ErrorCode::kInvalidArgument, "encoded NUL in request target");
      }
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<ParsedTarget> parse_target(std::string_view target) {
  if (target == "*") return ParsedTarget{"*", {}};
  if (!target.starts_with('/')) {
    // absolute-form: keep only what follows the authority.
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "request target is not a path",
                  std::string(target));
    }
    const auto path_start = target.find_first_of("/?", scheme_end + 3);
    target = path_start == std::string_view::npos ? std::string_view{"/"}
                                                   : target.substr(path_start);
  }
  const auto qmark = target.find('?');
  std::string_view raw_path = target.substr(0, qmark);
  if (raw_path.empty()) raw_path = "/";
  ParsedTarget parsed;
  parsed.path = BERTH_TRY(percent_decode(raw_path, false));
  if (qmark != std::string_view::npos) {
    std::string_view query = target.substr(qmark + 1);
    query = query.substr(0, query.find('#'));
    BERTH_TRY_STATUS(parse_query(query, parsed.query));
  }
  return parsed;
}

}  // namespace berth::http
