// S3Objects: the S3 operations the blob store uses, one typed call each,
// over one bucket: HEAD/GET-range/PUT/DELETE/COPY of objects, ListObjectsV2,
// the multipart-upload calls, and the bucket check made at start. Each
// turns S3's answer into a value or a berth Error (from_s3_xml), so the
// store and its writer never see HTTP.
//
// Thread-safety: safe for concurrent use (the client pools its handles).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob/s3/s3_client.hpp"
#include "storage/blob/s3/s3_xml.hpp"

namespace berth::storage::blob::s3 {

struct ObjectInfo {
  std::uint64_t size = 0;
  std::int64_t last_modified_ms = 0;
};

class S3Objects {
 public:
  explicit S3Objects(S3Config config) : client_(std::move(config)) {}

  const S3Config& config() const { return client_.config(); }

  // `not_found` when the object does not exist.
  Result<ObjectInfo> head(const std::string& key, ErrorCode not_found);
  // Bytes [offset, offset + length) of the object; `not_found` when absent.
  // REQUIRES: length > 0.
  Result<std::string> get_range(const std::string& key, std::uint64_t offset,
                                std::uint64_t length, ErrorCode not_found);
  // The same into `out`, reusing its capacity.
  Status get_range_into(const std::string& key, std::uint64_t offset, std::uint64_t length,
                        std::string& out, ErrorCode not_found);
  // The whole (small) object.
  Result<std::string> get(const std::string& key, ErrorCode not_found);
  Status put(const std::string& key, std::string_view body);
  // Deleting an absent key succeeds (S3 semantics).
  Status remove(const std::string& key);
  // Server-side copy of `size` bytes (multipart copy beyond 5 GiB). A copy
  // onto itself renews the object's LastModified.
  Status copy(const std::string& from, const std::string& to, std::uint64_t size);

  // Every object under `prefix`, page by page; stops at the visitor's error.
  Status list(const std::string& prefix, const std::function<Status(const ListedObject&)>& visit);
  // The common prefixes one level below `prefix` ("<prefix>x/").
  Status list_prefixes(const std::string& prefix,
                       const std::function<Status(const std::string&)>& visit);

  Result<std::string> create_multipart(const std::string& key);
  // The part's ETag. kUploadNotFound when the multipart upload is gone.
  Result<std::string> upload_part(const std::string& key, const std::string& upload_id,
                                  int number, std::string_view body);
  // kUploadNotFound when the multipart upload is gone (aborted, or
  // completed by an earlier attempt).
  Status complete_multipart(const std::string& key, const std::string& upload_id,
                            const std::vector<CompletedPart>& parts);
  // Aborting an absent multipart upload succeeds.
  Status abort_multipart(const std::string& key, const std::string& upload_id);
  // Aborts every multipart upload whose key starts with `prefix`.
  Status abort_multiparts_under(const std::string& prefix);

  // Start-up check: the bucket exists and these credentials may list it.
  // With create_bucket a missing bucket is created. Errors are one line
  // naming the problem: unreachable endpoint, refused credentials, missing
  // bucket, wrong region.
  Status check_bucket(bool create_bucket);

 private:
  Result<S3Response> send(S3Request request, std::string_view context, ErrorCode not_found);

  S3Client client_;
};

}  // namespace berth::storage::blob::s3
