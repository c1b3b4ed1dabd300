// Length-prefixed fields, the unambiguous encoding inside berth's signed
// tokens (registry passwords, download URLs, console sessions): each field
// is "<decimal length>:<bytes>", so a field may hold any byte, ':' included,
// and no two field lists encode alike.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace berth {

// Appends "<field.size()>:<field>" to `out`.
void append_field(std::string& out, std::string_view field);

// Reads one field from the front of `in` into `field` (a view into `in`'s
// bytes) and advances `in` past it. False, with `in` unchanged, when the
// front is not a well-formed field (no length, a length of more than five
// digits, or fewer bytes than the length says).
bool take_field(std::string_view& in, std::string_view& field);

}  // namespace berth
