// S3Keys: the one place that turns typed names into object keys of the S3
// blob store. Blobs use the tree of storage/blob/layout.hpp under the
// store's prefix; uploads keep their state in objects of their own, so any
// process can continue any upload:
//
//   <prefix>/blobs/<alg>/<hex[0:2]>/<hex>     committed blob, immutable
//   <prefix>/uploads/<id>/state               upload state document
//                                              (s3_upload_state.hpp); its
//                                              existence is the upload's
//   <prefix>/uploads/<id>/tail/<from>-<to>    staged bytes [from, to) not
//                                              yet in a multipart part
//   <prefix>/uploads/<id>/data                the multipart upload's key;
//                                              after completion, the whole
//                                              upload until it is copied
//                                              under blobs/
//
// With an empty prefix the keys start at "blobs/" and "uploads/".
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oci/digest.hpp"
#include "storage/blob/upload_id.hpp"

namespace berth::storage::blob::s3 {

class S3Keys {
 public:
  explicit S3Keys(std::string prefix);

  // REQUIRES: !digest.empty().
  std::string blob(const oci::Digest& digest) const;
  // Every blob key starts with this.
  std::string blobs_prefix() const;
  // The digest a key under blobs_prefix() names, or nullopt for anything
  // the store did not write there.
  std::optional<oci::Digest> blob_digest(std::string_view key) const;

  std::string uploads_prefix() const;
  std::string upload_prefix(const UploadId& id) const;  // ends in '/'
  std::string upload_state(const UploadId& id) const;
  // Named by the range, so a segment that replaces others never reuses the
  // key of one a saved state still lists.
  std::string upload_tail(const UploadId& id, std::uint64_t from, std::uint64_t to) const;
  std::string upload_data(const UploadId& id) const;
  // The upload id of a common prefix "<uploads_prefix()><id>/" of a
  // delimited listing, or nullopt.
  std::optional<UploadId> upload_id_of_prefix(std::string_view common_prefix) const;

 private:
  std::string root_;  // "" or "<prefix>/"
};

}  // namespace berth::storage::blob::s3
