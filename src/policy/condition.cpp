#include "policy/condition.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>

#include "policy/wildcard.hpp"

namespace berth::policy {

namespace {

struct KeyValues {
  bool known = false;
  std::vector<std::string> values;  // empty: the key is absent from this request
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string format_iso8601(std::int64_t ms) {
  std::int64_t secs = ms / 1000;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

const std::string* find_tag(const Tags* tags, std::string_view key) {
  if (!tags) return nullptr;
  for (const auto& [k, v] : *tags) {
    if (iequals(k, key)) return &v;
  }
  return nullptr;
}

KeyValues lookup(std::string_view key, const RequestContext& r) {
  KeyValues out;
  out.known = true;
  const std::string k = lower(key);
  auto one = [&](std::string_view v) {
    if (!v.empty()) out.values.emplace_back(v);
  };
  constexpr std::string_view kResourceTag = "aws:resourcetag/";
  constexpr std::string_view kRequestTag = "aws:requesttag/";
  if (k == "aws:principalaccount") {
    one(r.principal_account);
  } else if (k == "aws:principalarn") {
    one(r.principal_arn);
  } else if (k == "aws:username") {
    one(r.username);
  } else if (k == "aws:sourceip") {
    one(r.source_ip);
  } else if (k == "aws:securetransport") {
    one(r.secure_transport ? "true" : "false");
  } else if (k == "aws:currenttime") {
    out.values.push_back(format_iso8601(r.current_time_ms));
  } else if (k == "aws:epochtime") {
    out.values.push_back(std::to_string(r.current_time_ms / 1000));
  } else if (k.starts_with(kResourceTag)) {
    if (const auto* v = find_tag(r.resource_tags, key.substr(kResourceTag.size()))) one(*v);
  } else if (k.starts_with(kRequestTag)) {
    if (const auto* v = find_tag(r.request_tags, key.substr(kRequestTag.size()))) one(*v);
  } else if (k == "aws:tagkeys") {
    if (r.tag_keys) {
      out.values.assign(r.tag_keys->begin(), r.tag_keys->end());
    } else if (r.request_tags) {
      for (const auto& tag : *r.request_tags) out.values.push_back(tag.first);
    }
  } else {
    out.known = false;
  }
  return out;
}

bool negated(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringNotLike:
    case ConditionOperator::kArnNotEquals:
    case ConditionOperator::kArnNotLike:
    case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateNotEquals:
    case ConditionOperator::kNotIpAddress:
      return true;
    default:
      return false;
  }
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename T, typename Cmp>
bool compare(const std::optional<T>& request, const std::optional<T>& policy, Cmp cmp) {
  return request && policy && cmp(*request, *policy);
}

// The positive form of `op` for one request value and one policy value.
bool value_matches(ConditionOperator op, std::string_view policy_value, std::string_view value) {
  using O = ConditionOperator;
  switch (op) {
    case O::kStringEquals:
    case O::kStringNotEquals:
      return policy_value == value;
    case O::kStringEqualsIgnoreCase:
    case O::kStringNotEqualsIgnoreCase:
      return iequals(policy_value, value);
    case O::kStringLike:
    case O::kStringNotLike:
    case O::kArnEquals:
    case O::kArnNotEquals:
    case O::kArnLike:
    case O::kArnNotLike:
      return wildcard_match(policy_value, value);
    case O::kNumericEquals:
    case O::kNumericNotEquals:
      return compare(parse_number(value), parse_number(policy_value), std::equal_to<>());
    case O::kNumericLessThan:
      return compare(parse_number(value), parse_number(policy_value), std::less<>());
    case O::kNumericLessThanEquals:
      return compare(parse_number(value), parse_number(policy_value), std::less_equal<>());
    case O::kNumericGreaterThan:
      return compare(parse_number(value), parse_number(policy_value), std::greater<>());
    case O::kNumericGreaterThanEquals:
      return compare(parse_number(value), parse_number(policy_value), std::greater_equal<>());
    case O::kDateEquals:
    case O::kDateNotEquals:
      return compare(parse_date_ms(value), parse_date_ms(policy_value), std::equal_to<>());
    case O::kDateLessThan:
      return compare(parse_date_ms(value), parse_date_ms(policy_value), std::less<>());
    case O::kDateLessThanEquals:
      return compare(parse_date_ms(value), parse_date_ms(policy_value), std::less_equal<>());
    case O::kDateGreaterThan:
      return compare(parse_date_ms(value), parse_date_ms(policy_value), std::greater<>());
    case O::kDateGreaterThanEquals:
      return compare(parse_date_ms(value), parse_date_ms(policy_value), std::greater_equal<>());
    case O::kBool:
      return iequals(policy_value, value);
    case O::kIpAddress:
    case O::kNotIpAddress:
      return ip_in_cidr(value, policy_value);
    case O::kNull:
    case O::kUnknown:
      return false;
  }
  return false;
}

bool digits(std::string_view s, std::size_t n, int& out) {
  if (s.size() < n) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_date_ms(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t secs = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc() || secs > (std::int64_t{1} << 40)) return std::nullopt;
    return secs * 1000;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s.substr(5), 2, mo) ||
      s[7] != '-' || !digits(s.substr(8), 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  s.remove_prefix(10);
  std::int64_t frac_ms = 0, offset_min = 0;
  if (!s.empty()) {
    if (s[0] != 'T' && s[0] != 't' && s[0] != ' ') return std::nullopt;
    s.remove_prefix(1);
    if (!digits(s, 2, h) || s.size() < 5 || s[2] != ':' || !digits(s.substr(3), 2, mi)) {
      return std::nullopt;
    }
    s.remove_prefix(5);
    if (!s.empty() && s[0] == ':') {
      if (!digits(s.substr(1), 2, sec)) return std::nullopt;
      s.remove_prefix(3);
      if (!s.empty() && s[0] == '.') {
        s.remove_prefix(1);
        std::int64_t scale = 100;
        while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
          frac_ms += (s[0] - '0') * scale;
          scale /= 10;
          s.remove_prefix(1);
        }
      }
    }
    if (s == "Z" || s == "z") {
      s = {};
    } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      int oh = 0, om = 0;
      const int sign = s[0] == '-' ? -1 : 1;
      if (!digits(s.substr(1), 2, oh) || s.size() != 6 || s[3] != ':' || !digits(s.substr(4), 2, om)) {
        return std::nullopt;
      }
      offset_min = sign * (oh * 60 + om);
      s = {};
    }
    if (!s.empty() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  }
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
}

bool ip_in_cidr(std::string_view ip, std::string_view cidr) {
  auto slash = cidr.find('/');
  std::string net(cidr.substr(0, slash));
  std::string addr(ip);
  // IPv4-mapped IPv6 peers ("::ffff:10.0.0.1") compare as IPv4.
  if (addr.starts_with("::ffff:") && addr.find('.') != std::string::npos) addr.erase(0, 7);
  std::array<unsigned char, 16> a{}, n{};
  int bits = 0;
  if (inet_pton(AF_INET, addr.c_str(), a.data()) == 1) {
    if (inet_pton(AF_INET, net.c_str(), n.data()) != 1) return false;
    bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), a.data()) == 1) {
    if (inet_pton(AF_INET6, net.c_str(), n.data()) != 1) return false;
    bits = 128;
  } else {
    return false;
  }
  int prefix = bits;
  if (slash != std::string_view::npos) {
    std::string_view p = cidr.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > bits) return false;
  }
  for (int i = 0; i < prefix; ++i) {
    const unsigned mask = 0x80u >> (i % 8);
    if ((a[i / 8] & mask) != (n[i / 8] & mask)) return false;
  }
  return true;
}

bool condition_holds(const ConditionClause& clause, const RequestContext& request) {
  if (clause.op == ConditionOperator::kUnknown) return false;
  const KeyValues key = lookup(clause.key, request);
  if (!key.known) return false;
  if (clause.op == ConditionOperator::kNull) {
    const bool absent = key.values.empty();
    const bool want_absent = !clause.values.empty() && iequals(clause.values.front(), "true");
    return absent == want_absent;
  }
  const bool negative = negated(clause.op);
  if (key.values.empty()) {
    if (clause.qualifier == SetQualifier::kForAllValues) return true;
    if (clause.if_exists) return true;
    if (clause.qualifier == SetQualifier::kForAnyValue) return false;
    return negative;
  }
  auto one_value = [&](const std::string& value) {
    const bool any = std::any_of(clause.values.begin(), clause.values.end(),
                                 [&](const std::string& p) { return value_matches(clause.op, p, value); });
    return negative ? !any : any;
  };
  if (clause.qualifier == SetQualifier::kForAllValues) {
    return std::all_of(key.values.begin(), key.values.end(), one_value);
  }
  return std::any_of(key.values.begin(), key.values.end(), one_value);
}

}  // namespace berth::policy
