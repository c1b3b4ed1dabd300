#include "storage/blob/s3/s3_keys.hpp"

#include <cstdio>

#include "storage/blob/layout.hpp"

namespace berth::storage::blob::s3 {

namespace {

constexpr std::string_view kBlobs = "blobs/";
constexpr std::string_view kUploads = "uploads/";

}  // namespace

S3Keys::S3Keys(std::string prefix) : root_(prefix.empty() ? std::string() : prefix + "/") {}

std::string S3Keys::blob(const oci::Digest& digest) const {
  // The filesystem layout's relative path, so both stores share one tree.
  return root_ + Layout("").blob_path(digest).relative_path().generic_string();
}

std::string S3Keys::blobs_prefix() const { return root_ + std::string(kBlobs); }

std::optional<oci::Digest> S3Keys::blob_digest(std::string_view key) const {
  const std::string prefix = blobs_prefix();
  if (!key.starts_with(prefix)) return std::nullopt;
  key.remove_prefix(prefix.size());
  // <alg>/<shard>/<hex>
  const auto first = key.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = key.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view alg_name = key.substr(0, first);
  for (oci::DigestAlgorithm alg : kBlobAlgorithms) {
    if (oci::algorithm_name(alg) == alg_name) {
      return Layout::blob_digest_from_entry(alg, key.substr(first + 1, second - first - 1),
                                            key.substr(second + 1));
    }
  }
  return std::nullopt;
}

std::string S3Keys::uploads_prefix() const { return root_ + std::string(kUploads); }

std::string S3Keys::upload_prefix(const UploadId& id) const {
  return uploads_prefix() + id.str() + "/";
}

std::string S3Keys::upload_state(const UploadId& id) const { return upload_prefix(id) + "state"; }

std::string S3Keys::upload_tail(const UploadId& id, std::uint64_t from, std::uint64_t to) const {
  // Zero-padded so a listing shows the segments in offset order.
  char digits[48];
  std::snprintf(digits, sizeof digits, "%020llu-%020llu", static_cast<unsigned long long>(from),
                static_cast<unsigned long long>(to));
  return upload_prefix(id) + "tail/" + digits;
}

std::string S3Keys::upload_data(const UploadId& id) const { return upload_prefix(id) + "data"; }

std::optional<UploadId> S3Keys::upload_id_of_prefix(std::string_view common_prefix) const {
  const std::string prefix = uploads_prefix();
  if (!common_prefix.starts_with(prefix) || !common_prefix.ends_with('/')) return std::nullopt;
  common_prefix.remove_prefix(prefix.size());
  common_prefix.remove_suffix(1);
  auto id = UploadId::parse(common_prefix);
  if (!id) return std::nullopt;
  return *id;
}

}  // namespace berth::storage::blob::s3
