#include "storage/blob/layout.hpp"

#include <string>

namespace berth::storage::blob {

namespace {

constexpr std::string_view kBlobsDir = "blobs";
constexpr std::string_view kUploadsDir = "uploads";
constexpr std::string_view kDataFile = "data";
constexpr std::string_view kStateFile = "state";
constexpr std::string_view kStateTempFile = "state.tmp";
constexpr std::string_view kStartedAtFile = "startedat";
// Two hex characters fan blobs out over 256 directories, as distribution
// does, so no directory grows to millions of entries.
constexpr std::size_t kShardLength = 2;

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Layout::Layout(std::filesystem::path root) : root_(std::move(root)) {}

std::filesystem::path Layout::blobs_dir() const { return root_ / kBlobsDir; }

std::filesystem::path Layout::blob_algorithm_dir(oci::DigestAlgorithm alg) const {
  return blobs_dir() / oci::algorithm_name(alg);
}

std::filesystem::path Layout::blob_shard_dir(const oci::Digest& digest) const {
  return blob_algorithm_dir(digest.algorithm()) / digest.hex().substr(0, kShardLength);
}

std::filesystem::path Layout::blob_path(const oci::Digest& digest) const {
  return blob_shard_dir(digest) / digest.hex();
}

std::filesystem::path Layout::uploads_dir() const { return root_ / kUploadsDir; }

std::filesystem::path Layout::upload_dir(const UploadId& id) const {
  return uploads_dir() / id.str();
}

std::filesystem::path Layout::upload_data_path(const UploadId& id) const {
  return upload_dir(id) / kDataFile;
}

std::filesystem::path Layout::upload_state_path(const UploadId& id) const {
  return upload_dir(id) / kStateFile;
}

std::filesystem::path Layout::upload_state_temp_path(const UploadId& id) const {
  return upload_dir(id) / kStateTempFile;
}

std::filesystem::path Layout::upload_started_at_path(const UploadId& id) const {
  return upload_dir(id) / kStartedAtFile;
}

std::optional<oci::Digest> Layout::blob_digest_from_entry(oci::DigestAlgorithm alg,
                                                          std::string_view shard,
                                                          std::string_view name) {
  if (name.size() != oci::hex_length(alg) || !is_lower_hex(name)) return std::nullopt;
  if (shard != name.substr(0, kShardLength)) return std::nullopt;
  return oci::Digest::from_hex(alg, name);
}

}  // namespace berth::storage::blob
