// Condition evaluation: whether one ConditionClause holds for a request.
//
// IAM's rules, as berth applies them:
//   - a key berth does not know (request_context.hpp) never holds, with or
//     without IfExists;
//   - a known key absent from the request (aws:username of a role, a tag
//     the repository lacks) holds for IfExists, for Null "true", and for
//     the negated operators (StringNotEquals, NotIpAddress, ...); else not;
//   - a single value matches when any policy value matches it; a negated
//     operator matches when none of the positive matches holds;
//   - ForAnyValue: some request value matches (an empty set: false);
//     ForAllValues: every request value matches (an empty set: true).
//
// Thread-safety: pure functions.
#pragma once

#include "policy/document.hpp"
#include "policy/request_context.hpp"

namespace berth::policy {

bool condition_holds(const ConditionClause& clause, const RequestContext& request);

// Parses an IAM date ("2026-01-31", "2026-01-31T12:00:00Z", fractions and
// offsets allowed, or epoch seconds) into epoch milliseconds.
std::optional<std::int64_t> parse_date_ms(std::string_view text);

// Whether `ip` (IPv4 or IPv6 text) lies in `cidr` ("10.0.0.0/8", or an
// address alone for /32 and /128).
bool ip_in_cidr(std::string_view ip, std::string_view cidr);

}  // namespace berth::policy
