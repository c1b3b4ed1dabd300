#include "auth/sigv4_parse.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "auth/sigv4_canonical.hpp"

namespace berth::auth {

namespace {

constexpr std::size_t kMaxFieldLength = 256;

std::unexpected<Error> incomplete(std::string message) {
  return fail(ErrorCode::kUnauthenticated, std::move(message), std::string(kIncompleteSignature));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Printable ASCII without space, '/', ',' or ';' (what a scope field and an
// access key id can hold).
bool is_scope_field(std::string_view s) {
  if (s.empty() || s.size() > kMaxFieldLength) return false;
  for (char c : s) {
    if (c <= ' ' || c > '~' || c == '/' || c == ',' || c == ';' || c == '=') return false;
  }
  return true;
}

bool is_header_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxFieldLength) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
              c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
    if (!ok) return false;
  }
  return true;
}

int to_int(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

Result<std::int64_t> civil_to_ms(int year, int month, int day, int hour, int minute, int second) {
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) {
    return incomplete("date is not a valid calendar time");
  }
  auto tp = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second};
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

// "Credential=AKID/yyyymmdd/region/service/aws4_request" (the value part).
Status parse_credential(std::string_view value, AuthorizationHeader& out) {
  std::array<std::string_view, 5> parts;
  std::size_t count = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t slash = value.find('/', pos);
    std::string_view part =
        value.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (count == parts.size()) return incomplete("credential must have five '/'-separated parts");
    parts[count++] = part;
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (count != parts.size()) {
    return incomplete("credential must be <access key>/<date>/<region>/<service>/aws4_request");
  }
  if (!is_scope_field(parts[0])) return incomplete("credential access key id is malformed");
  if (parts[1].size() != 8 || !all_digits(parts[1])) {
    return incomplete("credential scope date must be yyyymmdd");
  }
  if (!is_scope_field(parts[2])) return incomplete("credential scope region is malformed");
  if (!is_scope_field(parts[3])) return incomplete("credential scope service is malformed");
  if (parts[4] != kScopeTerminator) {
    return incomplete("credential scope must end with aws4_request");
  }
  out.access_key_id = parts[0];
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  return ok();
}

Status parse_signed_headers(std::string_view value, AuthorizationHeader& out) {
  out.signed_headers.clear();
  std::size_t pos = 0;
  while (true) {
    std::size_t semi = value.find(';', pos);
    std::string_view name =
        value.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    if (!is_header_name(name)) {
      return incomplete("SignedHeaders must be lowercase header names separated by ';'");
    }
    if (!out.signed_headers.empty() && !(out.signed_headers.back() < name)) {
      return incomplete("SignedHeaders must be sorted and free of duplicates");
    }
    out.signed_headers.emplace_back(name);
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return ok();
}

Status parse_signature_value(std::string_view value, AuthorizationHeader& out) {
  if (value.size() != 64 || !is_lower_hex(value)) {
    return incomplete("Signature must be 64 lowercase hex digits");
  }
  out.signature = value;
  return ok();
}

}  // namespace

// "Add the signature to the request" (Step 5 of the AWS document), as read
// back by the server: Authorization = Algorithm Credential=..., SignedHeaders
// =..., Signature=...
Result<AuthorizationHeader> parse_authorization(std::string_view value) {
  value = trim(value);
  if (!value.starts_with(kSigV4Algorithm) || value.size() == kSigV4Algorithm.size() ||
      (value[kSigV4Algorithm.size()] != ' ' && value[kSigV4Algorithm.size()] != '\t')) {
    return incomplete("Authorization header must use the AWS4-HMAC-SHA256 algorithm");
  }
  std::string_view rest = value.substr(kSigV4Algorithm.size());
  AuthorizationHeader out;
  bool have_credential = false, have_signed = false, have_signature = false;
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    std::size_t comma = rest.find(',', pos);
    if (comma == std::string_view::npos) comma = rest.size();
    std::string_view component = trim(rest.substr(pos, comma - pos));
    pos = comma + 1;
    std::size_t eq = component.find('=');
    if (eq == std::string_view::npos) {
      return incomplete("Authorization header component is not of the form Name=value");
    }
    std::string_view name = component.substr(0, eq);
    std::string_view v = component.substr(eq + 1);
    bool* seen = nullptr;
    if (name == "Credential") {
      seen = &have_credential;
    } else if (name == "SignedHeaders") {
      seen = &have_signed;
    } else if (name == "Signature") {
      seen = &have_signature;
    } else {
      return incomplete("Authorization header has an unknown component");
    }
    if (*seen) return incomplete("Authorization header repeats a component");
    *seen = true;
    if (name == "Credential") {
      BERTH_TRY_STATUS(parse_credential(v, out));
    } else if (name == "SignedHeaders") {
      BERTH_TRY_STATUS(parse_signed_headers(v, out));
    } else {
      BERTH_TRY_STATUS(parse_signature_value(v, out));
    }
  }
  if (!have_credential) return incomplete("Authorization header requires 'Credential' parameter");
  if (!have_signed) return incomplete("Authorization header requires 'SignedHeaders' parameter");
  if (!have_signature) return incomplete("Authorization header requires 'Signature' parameter");
  return out;
}

bool has_presigned_params(std::string_view raw_query) {
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view piece = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    std::string key = percent_decode(piece.substr(0, piece.find('=')));
    if (key == "X-Amz-Algorithm" || key == "X-Amz-Credential" || key == "X-Amz-Signature") {
      return true;
    }
  }
  return false;
}

// Query-string authentication parameters, per sigv4-query-string-auth.html
// ("Authenticating Requests: Using Query Parameters").
Result<PresignedParams> parse_presigned_query(std::string_view raw_query) {
  std::optional<std::string> algorithm, credential, date, expires, signed_headers, sig, token;
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view piece = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (piece.empty()) continue;
    std::size_t eq = piece.find('=');
    std::string key = percent_decode(piece.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(piece.substr(eq + 1));
    std::optional<std::string>* slot = nullptr;
    if (key == "X-Amz-Algorithm")
      slot = &algorithm;
    else if (key == "X-Amz-Credential")
      slot = &credential;
    else if (key == "X-Amz-Date")
      slot = &date;
    else if (key == "X-Amz-Expires")
      slot = &expires;
    else if (key == "X-Amz-SignedHeaders")
      slot = &signed_headers;
    else if (key == "X-Amz-Signature")
      slot = &sig;
    else if (key == "X-Amz-Security-Token")
      slot = &token;
    if (slot == nullptr) continue;
    if (slot->has_value()) return incomplete("query parameter " + key + " appears more than once");
    *slot = std::move(value);
  }
  if (!algorithm) return incomplete("query authentication requires X-Amz-Algorithm");
  if (*algorithm != kSigV4Algorithm) {
    return incomplete("X-Amz-Algorithm must be AWS4-HMAC-SHA256");
  }
  if (!credential) return incomplete("query authentication requires X-Amz-Credential");
  if (!date) return incomplete("query authentication requires X-Amz-Date");
  if (!expires) return incomplete("query authentication requires X-Amz-Expires");
  if (!signed_headers) return incomplete("query authentication requires X-Amz-SignedHeaders");
  if (!sig) return incomplete("query authentication requires X-Amz-Signature");

  PresignedParams out;
  BERTH_TRY_STATUS(parse_credential(*credential, out.auth));
  BERTH_TRY_STATUS(parse_signed_headers(*signed_headers, out.auth));
  BERTH_TRY_STATUS(parse_signature_value(*sig, out.auth));
  BERTH_TRY(parse_amz_date(*date));
  out.amz_date = *date;
  std::int64_t seconds = 0;
  if (!all_digits(*expires) || expires->size() > 7 ||
      std::from_chars(expires->data(), expires->data() + expires->size(), seconds).ec !=
          std::errc() ||
      seconds < 1 || seconds > kMaxPresignExpiresSeconds) {
    return incomplete("X-Amz-Expires must be a number of seconds from 1 to 604800");
  }
  out.expires_seconds = seconds;
  out.security_token = std::move(token);
  return out;
}

Result<std::int64_t> parse_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !all_digits(text.substr(0, 8)) ||
      !all_digits(text.substr(9, 6))) {
    return incomplete("date must be in ISO 8601 basic format yyyymmddThhmmssZ");
  }
  return civil_to_ms(to_int(text.substr(0, 4)), to_int(text.substr(4, 2)),
                     to_int(text.substr(6, 2)), to_int(text.substr(9, 2)),
                     to_int(text.substr(11, 2)), to_int(text.substr(13, 2)));
}

std::string format_amz_date(std::int64_t ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds{ms}};
  auto day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  hh_mm_ss<milliseconds> tod{tp - day_point};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  return buf;
}

// IMF-fixdate, RFC 9110 section 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT".
Result<std::int64_t> parse_http_date(std::string_view text) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  text = trim(text);
  // "Www, DD Mmm YYYY HH:MM:SS " is 26 characters, then the zone.
  if (text.size() < 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text[25] != ' ') {
    return incomplete("Date header must be an IMF-fixdate");
  }
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || text.substr(0, 3) == d;
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  std::string_view zone = text.substr(26);
  bool zone_ok = zone == "GMT" || zone == "UTC" || zone == "+0000" || zone == "-0000";
  if (!day_ok || month == 0 || !zone_ok || !all_digits(text.substr(5, 2)) ||
      !all_digits(text.substr(12, 4)) || !all_digits(text.substr(17, 2)) ||
      !all_digits(text.substr(20, 2)) || !all_digits(text.substr(23, 2))) {
    return incomplete("Date header must be an IMF-fixdate");
  }
  return civil_to_ms(to_int(text.substr(12, 4)), month, to_int(text.substr(5, 2)),
                     to_int(text.substr(17, 2)), to_int(text.substr(20, 2)),
                     to_int(text.substr(23, 2)));
}

}  // namespace berth::auth
