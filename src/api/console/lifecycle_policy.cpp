#include "api/console/lifecycle_policy.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "api/ecr/lifecycle_preview.hpp"

namespace berth::api::console {

namespace json = boost::json;

Result<PolicyRequest> policy_request(std::string_view body) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const json::value* text =
      !ec && parsed.is_object() ? parsed.get_object().if_contains("lifecyclePolicyText") : nullptr;
  if (text == nullptr || !text->is_string()) {
    return fail(ErrorCode::kInvalidArgument,
                "Send a JSON object {\"lifecyclePolicyText\": \"<the policy as text>\"}");
  }
  PolicyRequest request{std::string(text->get_string()), {}};
  request.policy = BERTH_TRY(lifecycle::parse_lifecycle_policy(request.text));
  return request;
}

json::object preview_answer(const std::vector<lifecycle::PlannedAction>& planned,
                            std::size_t max_rows) {
  std::vector<ecr::PreviewResult> results;
  results.reserve(planned.size());
  for (const lifecycle::PlannedAction& a : planned) {
    results.push_back(ecr::PreviewResult{a.digest, a.tags, a.pushed_at_ms, a.type,
                                         a.rule_priority, a.storage_class});
  }
  json::array rows;
  for (std::size_t i = 0; i < results.size() && i < max_rows; ++i) {
    rows.emplace_back(ecr::preview_result_json(results[i]));
  }
  json::object out;
  out["shown"] = rows.size();
  out["previewResults"] = std::move(rows);
  out["summary"] = ecr::preview_summary_json(results);
  out["total"] = results.size();
  return out;
}

}  // namespace berth::api::console
