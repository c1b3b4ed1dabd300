// IAM wildcard matching: `*` matches any run of characters (also none), `?`
// exactly one; every other character matches itself. Actions compare
// case-insensitively (`ecr:batch*` matches `ecr:BatchGetImage`), ARNs and
// condition values case-sensitively.
//
// Linear in practice: one backtrack point (the last `*`), no recursion, so
// a hostile pattern cannot blow up the stack or the time.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace berth::policy {

bool wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case = false);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

}  // namespace berth::policy
