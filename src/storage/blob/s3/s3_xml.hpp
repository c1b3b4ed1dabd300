// The S3 REST API's XML documents, read and written: the error document
// (<Error><Code>…), ListObjectsV2 pages, CreateMultipartUpload's upload id,
// ListMultipartUploads pages, and the CompleteMultipartUpload request body.
// Element names are matched without their namespace; unknown elements are
// ignored, as S3-compatible servers add their own.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace berth::storage::blob::s3 {

struct S3ErrorDocument {
  std::string code;     // "NoSuchKey", "SlowDown", ...
  std::string message;
};

// The <Error> document, or nullopt when `xml` is not one (empty, another
// root element, not XML).
std::optional<S3ErrorDocument> parse_error_document(std::string_view xml);

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t last_modified_ms = 0;
};

struct ListObjectsPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

// A ListBucketResult (ListObjectsV2). kCorruption when it is not one, or a
// Size or LastModified does not parse.
Result<ListObjectsPage> parse_list_objects_v2(std::string_view xml);

// The UploadId of an InitiateMultipartUploadResult; kCorruption otherwise.
Result<std::string> parse_initiate_multipart_upload(std::string_view xml);

struct ListedUpload {
  std::string key;
  std::string upload_id;
};

struct ListUploadsPage {
  std::vector<ListedUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

// A ListMultipartUploadsResult; kCorruption when it is not one.
Result<ListUploadsPage> parse_list_multipart_uploads(std::string_view xml);

// The ETag of a CopyObjectResult or CopyPartResult. S3 may answer a copy
// (or a CompleteMultipartUpload) with 200 and an <Error> document: that
// is kUnavailable here, naming S3's code.
Result<std::string> parse_copy_result(std::string_view xml);

struct CompletedPart {
  int number = 0;
  std::string etag;  // as S3 returned it, quotes included
};

// The CompleteMultipartUpload request body, parts in the given order.
std::string complete_multipart_upload_body(const std::vector<CompletedPart>& parts);

// The CreateBucket body naming a region (none for us-east-1, which S3
// refuses as a LocationConstraint).
std::string create_bucket_body(std::string_view region);

}  // namespace berth::storage::blob::s3
