// An image's status in ECR's terms, derived from its storage class: ACTIVE
// (pullable), ARCHIVED (in the archive storage class: listed, not pullable)
// or ACTIVATING (a restore from the archive is under way).
//
// A restore takes kRestoreDuration: the registry stores its end as the
// image's last_activated_at_ms, and the image is ACTIVATING until then,
// ACTIVE after. ECR's restores take "up to 20 minutes"; berth's are as
// short as still lets a client see the state (and a test, with the test
// clock, move past it). Re-pushing an archived image restores it at once.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "registry/types.hpp"

namespace berth::registry {

using storage::meta::StorageClass;

enum class ImageStatus { kActive, kArchived, kActivating };

inline constexpr std::chrono::milliseconds kRestoreDuration{std::chrono::minutes(1)};

ImageStatus image_status(const ManifestRecord& manifest, std::int64_t now_ms);

// "ACTIVE", "ARCHIVED", "ACTIVATING" (ECR's ImageStatus values).
std::string_view to_string(ImageStatus status);

}  // namespace berth::registry
