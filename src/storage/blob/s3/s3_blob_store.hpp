// The S3 BlobStore: blobs are objects of one bucket of AWS S3 or any
// S3-compatible store (Ceph RGW, MinIO), under an optional key prefix,
// laid out as documented in s3_keys.hpp; requests are signed with berth's
// own SigV4 (auth/), sent with libcurl.
//
// - Reads are ranged GETs of a bounded window each, so a blob of any size
//   streams through a few MiB; open() answers kBlobNotFound / kRangeInvalid
//   from one HEAD.
// - Uploads keep all their state in S3 (s3_blob_writer.hpp): a chunk may
//   land on any process, before or after a restart. Nothing is cached in
//   the process.
// - Commit is atomic (a PUT, or a multipart upload completed and copied),
//   and content-addressed: committing a stored digest keeps the stored copy.
// - walk() lists the blobs with their LastModified; redirect_url() presigns
//   a GET.
// - Faults S3 may recover from are retried (s3_client.hpp); the rest are
//   kUnavailable, which the protocols answer with 503 / ServerException.
//
// Thread-safety: the store is safe for concurrent use, by many processes
// sharing one bucket too. Writers and readers may outlive the store.
#pragma once

#include <memory>

#include "storage/blob/blob_store.hpp"
#include "storage/blob/s3/s3_config.hpp"

namespace berth::storage::blob::s3 {

struct S3StoreOptions {
  // Create the bucket when it does not exist, instead of refusing.
  bool create_bucket = false;
  // Check the bucket at open (one LIST): off only for tests that want a
  // store over an endpoint that is down.
  bool check_bucket = true;
};

// Opens the store and checks that the bucket exists and the credentials may
// use it. One-line errors (kUnavailable): endpoint unreachable, credentials
// refused, bucket missing, wrong region.
Result<std::unique_ptr<BlobStore>> open_s3_blob_store(S3Config config,
                                                      S3StoreOptions options = {});

}  // namespace berth::storage::blob::s3
