// The records the core hands to the front ends, under the core's names.
// They are the stores' own value types (plain data, no behaviour): the core
// passes them through rather than copying them into look-alikes, and the
// front ends name them only through these aliases, never as storage::.
//
// Thread-safety: plain values.
#pragma once

#include "storage/blob/blob_store.hpp"
#include "storage/meta/meta_store.hpp"

namespace berth::registry {

using BlobInfo = storage::blob::BlobInfo;
using RepositoryRecord = storage::meta::RepositoryRecord;
using ManifestRecord = storage::meta::ManifestRecord;
using ManifestSummary = storage::meta::ManifestSummary;
using SettingsChange = storage::meta::SettingsChange;

}  // namespace berth::registry
