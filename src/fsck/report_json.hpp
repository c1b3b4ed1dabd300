// JSON renderings of check and repair reports, for `berth fsck --json`.
// Field names are snake_case and stable: scripts parse them.
//
//   finding: {"kind", "severity", "registry", "repository", "digest",
//             "subject", "size", "message"}
//   check:   {"clean", "stats": {...}, "counts": {"corruption", "warning",
//             "info"}, "kinds": {"<kind>": n}, "findings": [finding]}
//   repair:  [{"outcome", "action", "detail", "kind", "digest", "subject"}]
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/value.hpp>

#include "fsck/findings.hpp"
#include "fsck/repair.hpp"

namespace berth::fsck {

boost::json::value to_json(const Finding& finding);
boost::json::value to_json(const CheckReport& report);
boost::json::value to_json(const RepairReport& report);

}  // namespace berth::fsck
