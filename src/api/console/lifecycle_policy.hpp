// The console's lifecycle policy calls, the parts that are not I/O (the
// handlers are in browse.cpp):
//   - the policy text a save or a preview carries, checked by the parser
//     PutLifecyclePolicy and StartLifecyclePolicyPreview use
//     (lifecycle/policy.hpp), so the console accepts exactly what the ECR
//     API accepts, with the same "Lifecycle policy validation failure"
//     message;
//   - a preview's answer: what lifecycle::plan_repository (the evaluation
//     behind StartLifecyclePolicyPreview) decided, as
//     GetLifecyclePolicyPreview's results and summary.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "lifecycle/policy.hpp"
#include "lifecycle/runner.hpp"
#include "util/result.hpp"

namespace berth::api::console {

// At most this many results go to the page; the summary counts them all.
inline constexpr std::size_t kPreviewRowsShown = 500;

struct PolicyRequest {
  std::string text;                     // as sent, stored as sent
  lifecycle::LifecyclePolicy policy;    // parsed
};

// The "lifecyclePolicyText" member of a JSON body, parsed. kInvalidArgument
// when the body is not such an object or the policy is not valid.
Result<PolicyRequest> policy_request(std::string_view body);

// {"previewResults": [...], "summary": {...}, "total": n, "shown": m}: the
// results oldest image first, at most `max_rows` of them.
boost::json::object preview_answer(const std::vector<lifecycle::PlannedAction>& planned,
                                   std::size_t max_rows = kPreviewRowsShown);

}  // namespace berth::api::console
