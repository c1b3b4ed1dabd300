// Lifecycle policies over the ECR API: PutLifecyclePolicy (validated by
// lifecycle/policy.hpp, stored in the repository settings), GetLifecyclePolicy
// and DeleteLifecyclePolicy (with lastEvaluatedAt, the last time the
// lifecycle runner evaluated the policy; the epoch when it never did, as ECR
// reports it), and the previews: StartLifecyclePolicyPreview evaluates the
// given (or stored) policy against the repository in the background and
// GetLifecyclePolicyPreview reports it (lifecycle_preview.hpp), from
// whichever process answers.
//
// Thread-safety: as for every handler (operation.hpp); a preview's work
// runs on EcrServices::run_in_background (the blocking pool by default) and
// touches only the Registry.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <boost/json.hpp>

#include "api/ecr/admin_operations.hpp"
#include "api/ecr/admin_support.hpp"
#include "api/ecr/errors.hpp"
#include "api/ecr/image_ids.hpp"
#include "api/ecr/lifecycle_preview.hpp"
#include "api/ecr/pagination.hpp"
#include "crypto/ids.hpp"
#include "http/offload.hpp"
#include "lifecycle/runner.hpp"
#include "util/log.hpp"
#include "util/time.hpp"

namespace berth::api::ecr {

namespace json = boost::json;

namespace {

constexpr std::string_view kPolicyField = "LifecyclePolicyText";

json::object repository_answer(EcrContext& ctx, const json::object& input,
                               const LoadedRepository& repo) {
  return json::object{{"registryId", registry_id(ctx, input)},
                      {"repositoryName", repo.record.name}};
}

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

std::expected<lifecycle::LifecyclePolicy, EcrFailure> parse_policy(std::string_view text) {
  auto parsed = lifecycle::parse_lifecycle_policy(text);
  if (!parsed) return std::unexpected(invalid_parameter_at(kPolicyField, parsed.error().message));
  return std::move(*parsed);
}

}  // namespace

boost::asio::awaitable<EcrResult> PutLifecyclePolicy(EcrContext& ctx, const json::object& input) {
  std::string text = string_input(input, "lifecyclePolicyText");
  if (auto policy = parse_policy(text); !policy) co_return std::unexpected(policy.error());
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  const std::int64_t updated = now_ms();
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) {
        s.lifecycle_policy = text;
        s.lifecycle_policy_updated_ms = updated;
        s.lifecycle_policy_evaluated_ms = 0;  // this policy has not run yet
      });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  auto out = repository_answer(ctx, input, *repo);
  out["lifecyclePolicyText"] = text;
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> GetLifecyclePolicy(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  if (!repo->settings.lifecycle_policy) {
    co_return std::unexpected(lifecycle_policy_not_found(repo->record.name, registry_id(ctx, input)));
  }
  auto out = repository_answer(ctx, input, *repo);
  out["lifecyclePolicyText"] = *repo->settings.lifecycle_policy;
  out["lastEvaluatedAt"] = seconds(repo->settings.lifecycle_policy_evaluated_ms);
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> DeleteLifecyclePolicy(EcrContext& ctx, const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  if (!repo->settings.lifecycle_policy) {
    co_return std::unexpected(lifecycle_policy_not_found(repo->record.name, registry_id(ctx, input)));
  }
  auto out = repository_answer(ctx, input, *repo);
  out["lifecyclePolicyText"] = *repo->settings.lifecycle_policy;
  out["lastEvaluatedAt"] = seconds(repo->settings.lifecycle_policy_evaluated_ms);
  if (auto saved = co_await modify_settings(ctx, *repo, [&](RepositorySettings& s) {
        s.lifecycle_policy.reset();
        s.lifecycle_policy_evaluated_ms = 0;
      });
      !saved) {
    co_return std::unexpected(saved.error());
  }
  co_return json::value(std::move(out));
}

// ---- previews ----

namespace {

// The preview's evaluation, away from the request: the results (or the
// failure) replace the IN_PROGRESS document, unless a newer preview took
// its place meanwhile.
void evaluate_preview(registry::Registry& registry, const registry::RepositoryRef& repo,
                      const lifecycle::LifecyclePolicy& policy, const std::string& id,
                      std::int64_t evaluated_at_ms) {
  auto planned = lifecycle::plan_repository(registry, repo, policy, evaluated_at_ms);
  auto stored = registry.modify_repository_document(
      repo, kPreviewDocument, [&](const std::string& current) -> Result<std::string> {
        auto preview = Preview::from_json(current);
        if (!preview || preview->id != id) return current;
        if (planned) {
          preview->status = std::string(kPreviewComplete);
          for (const lifecycle::PlannedAction& a : *planned) {
            preview->results.push_back(PreviewResult{a.digest, a.tags, a.pushed_at_ms, a.type,
                                                     a.rule_priority, a.storage_class});
          }
        } else {
          preview->status = std::string(kPreviewFailed);
          preview->failure = planned.error().message;
        }
        return preview->to_json();
      });
  if (!planned) {
    log::warn("lifecycle preview of {} failed: {}", repo.name, planned.error().message);
  }
  if (!stored && stored.error().code != ErrorCode::kRepositoryNotFound) {
    log::warn("lifecycle preview of {} could not be stored: {}", repo.name, stored.error().message);
  }
}

constexpr std::string_view kPreviewPages = "GetLifecyclePolicyPreview";

// Whether the result is among `ids` (by digest, tag, or both).
bool named_by(const PreviewResult& r, const std::vector<CheckedImageId>& ids) {
  for (const CheckedImageId& id : ids) {
    const bool digest_ok = !id.digest || id.digest->str() == r.digest;
    const bool tag_ok =
        !id.tag || std::find(r.tags.begin(), r.tags.end(), *id.tag) != r.tags.end();
    if (digest_ok && tag_ok) return true;
  }
  return false;
}

EcrResult get_preview(EcrContext& ctx, const json::object& input, const LoadedRepository& repo) {
  const std::string id_of_registry = registry_id(ctx, input);
  auto text = ctx.registry.repository_document(repo.ref, kPreviewDocument);
  if (!text) return std::unexpected(to_ecr_failure(text.error(), id_of_registry, repo.ref.name));
  std::optional<Preview> preview = *text ? Preview::from_json(**text) : std::nullopt;
  if (!preview) return std::unexpected(lifecycle_policy_preview_not_found(repo.ref.name, id_of_registry));

  std::vector<CheckedImageId> ids;
  if (const json::value* list = input.if_contains("imageIds")) {
    for (const ImageId& raw : read_image_ids(list)) {
      auto checked = check_image_id(raw);
      if (!checked) return std::unexpected(invalid_parameter(checked.error().reason));
      ids.push_back(std::move(*checked));
    }
  }
  std::string tag_status = "ANY";
  if (const json::value* filter = input.if_contains("filter"); filter && filter->is_object()) {
    tag_status = std::string(string_member(filter->get_object(), "tagStatus").value_or("ANY"));
  }
  const std::string scope = repo.ref.registry + "/" + repo.ref.name;
  std::size_t offset = 0;
  if (auto token = string_member(input, "nextToken"); token && !token->empty()) {
    auto cursor = decode_next_token(*token, kPreviewPages, scope);
    if (!cursor) return std::unexpected(to_ecr_failure(cursor.error(), id_of_registry, repo.ref.name));
    if (cursor->after != preview->id) {
      return std::unexpected(invalid_parameter_at(
          "nextToken", "the token belongs to an earlier lifecycle policy preview"));
    }
    const std::string& at = cursor->after_tag;
    auto [end, ec] = std::from_chars(at.data(), at.data() + at.size(), offset);
    if (ec != std::errc() || end != at.data() + at.size()) {
      return std::unexpected(invalid_parameter_at("nextToken", "Invalid pagination token"));
    }
  }
  std::size_t page = kDefaultPreviewPage;
  if (const json::value* max = input.if_contains("maxResults"); max && max->is_int64()) {
    page = static_cast<std::size_t>(max->get_int64());
  }

  const std::string_view status = preview->reported_status(now_ms());
  json::object out{{"registryId", id_of_registry},
                   {"repositoryName", repo.ref.name},
                   {"lifecyclePolicyText", preview->policy_text},
                   {"status", status}};
  if (status != kPreviewComplete) return json::value(std::move(out));

  json::array results;
  std::size_t matched = 0;
  bool more = false;
  for (const PreviewResult& r : preview->results) {
    if (tag_status == "TAGGED" && r.tags.empty()) continue;
    if (tag_status == "UNTAGGED" && !r.tags.empty()) continue;
    if (!ids.empty() && !named_by(r, ids)) continue;
    if (matched++ < offset) continue;
    if (results.size() == page) {
      more = true;
      break;
    }
    results.push_back(preview_result_json(r));
  }
  out["previewResults"] = std::move(results);
  out["summary"] = preview_summary_json(preview->results);
  if (more) {
    out["nextToken"] = encode_next_token(
        PageCursor{std::string(kPreviewPages), scope, preview->id, std::to_string(offset + page)});
  }
  return json::value(std::move(out));
}

}  // namespace

boost::asio::awaitable<EcrResult> StartLifecyclePolicyPreview(EcrContext& ctx,
                                                              const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  const std::string id_of_registry = registry_id(ctx, input);
  std::string text = string_input(input, "lifecyclePolicyText");
  if (!input.contains("lifecyclePolicyText")) {
    if (!repo->settings.lifecycle_policy) {
      co_return std::unexpected(lifecycle_policy_not_found(repo->record.name, id_of_registry));
    }
    text = *repo->settings.lifecycle_policy;
  }
  auto policy = parse_policy(text);
  if (!policy) co_return std::unexpected(policy.error());

  const std::string id = crypto::new_uuid();
  const std::int64_t now = now_ms();
  auto started = co_await http::offload(ctx.blocking, [&] {
    return ctx.registry.modify_repository_document(
        repo->ref, kPreviewDocument, [&](const std::string& current) -> Result<std::string> {
          if (auto running = Preview::from_json(current); running && running->in_progress(now)) {
            return fail(ErrorCode::kAlreadyExists, "a lifecycle policy preview is in progress");
          }
          Preview next;
          next.id = id;
          next.status = std::string(kPreviewInProgress);
          next.policy_text = text;
          next.started_at_ms = now;
          next.evaluated_at_ms = now;
          return next.to_json();
        });
  });
  if (!started) {
    if (started.error().code == ErrorCode::kAlreadyExists) {
      co_return std::unexpected(lifecycle_policy_preview_in_progress(repo->record.name, id_of_registry));
    }
    co_return std::unexpected(to_ecr_failure(started.error(), id_of_registry, repo->record.name));
  }

  auto work = [&registry = ctx.registry, ref = repo->ref, policy = std::move(*policy), id, now] {
    evaluate_preview(registry, ref, policy, id, now);
  };
  if (ctx.services.run_in_background) {
    ctx.services.run_in_background(std::move(work));
  } else {
    boost::asio::post(ctx.blocking, std::move(work));
  }

  auto out = repository_answer(ctx, input, *repo);
  out["lifecyclePolicyText"] = text;
  out["status"] = kPreviewInProgress;
  co_return json::value(std::move(out));
}

boost::asio::awaitable<EcrResult> GetLifecyclePolicyPreview(EcrContext& ctx,
                                                            const json::object& input) {
  auto repo = co_await load_repository(ctx, input);
  if (!repo) co_return std::unexpected(repo.error());
  co_return co_await http::offload(ctx.blocking, [&] { return get_preview(ctx, input, *repo); });
}

}  // namespace berth::api::ecr
