// Layout: the one place that turns typed names into locations in a blob
// store's tree. Backends never join path strings themselves.
//
// The tree, relative to the store's root:
//
//   blobs/
//     sha256/
//       <hex[0:2]>/
//         <hex>                 committed blob bytes, exactly; immutable
//     sha512/
//       <hex[0:2]>/
//         <hex>
//   uploads/
//     <id>/                     id matches [A-Za-z0-9-]{1,128} (UploadId)
//       data                    bytes appended so far (may run past the
//                               saved size after a crash; resume truncates)
//       state                   last saved size + exported hash state,
//                               replaced atomically via state.tmp + rename
//       state.tmp               transient; a leftover one is ignored
//       startedat               creation time, decimal nanoseconds since
//                               the Unix epoch
//
// A blob becomes visible only by an atomic rename of uploads/<id>/data to
// blobs/<alg>/<hex[0:2]>/<hex>, so anything under blobs/ whose name is not
// a well-formed digest of its directory's algorithm and shard is a stray
// and is ignored when walking (see blob_digest_from_entry).
//
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string_view>

#include "oci/digest.hpp"
#include "storage/blob/upload_id.hpp"

namespace berth::storage::blob {

// Every algorithm with a directory under blobs/, in walk order.
inline constexpr std::array<oci::DigestAlgorithm, 2> kBlobAlgorithms = {
    oci::DigestAlgorithm::kSha256, oci::DigestAlgorithm::kSha512};

class Layout {
 public:
  explicit Layout(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  std::filesystem::path blobs_dir() const;
  std::filesystem::path blob_algorithm_dir(oci::DigestAlgorithm alg) const;
  // REQUIRES: !digest.empty() (for the three below).
  std::filesystem::path blob_shard_dir(const oci::Digest& digest) const;
  std::filesystem::path blob_path(const oci::Digest& digest) const;

  std::filesystem::path uploads_dir() const;
  std::filesystem::path upload_dir(const UploadId& id) const;
  std::filesystem::path upload_data_path(const UploadId& id) const;
  std::filesystem::path upload_state_path(const UploadId& id) const;
  std::filesystem::path upload_state_temp_path(const UploadId& id) const;
  std::filesystem::path upload_started_at_path(const UploadId& id) const;

  // The inverse of blob_path for walks: the digest named by file `name` in
  // shard directory `shard` under blob_algorithm_dir(alg), or nullopt when
  // the entry is not one the store wrote (a stray or temporary file).
  static std::optional<oci::Digest> blob_digest_from_entry(oci::DigestAlgorithm alg,
                                                           std::string_view shard,
                                                           std::string_view name);

 private:
  std::filesystem::path root_;
};

}  // namespace berth::storage::blob
