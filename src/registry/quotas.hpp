// Quotas: how much one registry may hold, enforced in the core so that the
// ECR API and /v2/ refuse alike (kQuotaExceeded; each edge's error table
// makes it LimitExceededException or 403 DENIED).
//
// Each check counts in the MetaStore, never in the process, so every
// process sharing a store sees one count. The caller runs a check and the
// write it guards in one MetaStore::in_one_commit, so two processes racing
// for the last slot cannot both take it (PostgreSQL runs the pair as if
// alone; SQLite has one writer).
//
// Thread-safety: stateless functions; safe wherever the MetaStore is.
#pragma once

#include <cstdint>
#include <string_view>

#include "oci/digest.hpp"
#include "storage/meta/meta_store.hpp"
#include "util/result.hpp"

namespace berth::registry {

// 0 turns a quota off. Defaults are ECR's service quotas where ECR has one
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html:
// "Registered repositories" and "Images per repository", both 100,000).
struct Quotas {
  std::uint64_t max_repositories_per_registry = 100000;
  std::uint64_t max_images_per_repository = 100000;  // manifests, tagged or not
  // ECR's "Layer parts" (4,200): the saved parts of one upload, ECR
  // UploadLayerPart calls and /v2/ PATCH chunks alike.
  std::uint64_t max_layer_parts_per_upload = 4200;
  // berth's own: the bytes of the distinct blobs linked in the registry
  // (MetaStore::registry_storage); blobs not linked anywhere (an upload
  // under way, garbage awaiting the collector) do not count.
  std::uint64_t storage_quota_bytes = 0;
};

// The one spelling of a quota refusal: kQuotaExceeded, a message naming the
// quota and its value (both edges show it as is), `detail` the thing refused.
Error quota_exceeded(std::string_view quota, std::uint64_t value, std::string detail);

// Before a repository `name` is created in `registry`.
Status check_repository_quota(storage::meta::MetaStore& meta, const Quotas& quotas,
                              std::string_view registry, std::string_view name);

// Before manifest `digest` is stored in `repo`: a manifest already there
// (a re-push, a new tag) takes no new slot.
Status check_image_quota(storage::meta::MetaStore& meta, const Quotas& quotas,
                         const storage::meta::RepositoryRecord& repo, const oci::Digest& digest);

// Before a part is appended to an upload that has `parts_so_far` saved
// parts (UploadRecord::parts). Counts nothing: the record is at hand.
Status check_layer_parts_quota(const Quotas& quotas, std::uint64_t parts_so_far,
                               std::string_view upload_id);

// Before blob `digest` of `size` bytes is linked into `repo`: a blob already
// linked anywhere in the registry adds nothing.
Status check_storage_quota(storage::meta::MetaStore& meta, const Quotas& quotas,
                           const storage::meta::RepositoryRecord& repo, const oci::Digest& digest,
                           std::uint64_t size);

}  // namespace berth::registry
