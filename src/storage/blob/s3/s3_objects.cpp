#include "storage/blob/s3/s3_objects.hpp"

#include <charconv>

#include "storage/blob/s3/s3_address.hpp"
#include "storage/blob/s3/s3_time.hpp"

namespace berth::storage::blob::s3 {

namespace {

// CopyObject copies at most 5 GiB; beyond, the copy goes in parts this big.
constexpr std::uint64_t kMaxSingleCopy = 5ull << 30;
constexpr std::uint64_t kCopyPartSize = 1ull << 30;

std::string range_header(std::uint64_t offset, std::uint64_t length) {
  return "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

std::string join_query(std::initializer_list<std::string> params) {
  std::string out;
  for (const std::string& param : params) {
    if (param.empty()) continue;
    if (!out.empty()) out += '&';
    out += param;
  }
  return out;
}

std::string upload_id_param(const std::string& upload_id) {
  return s3_query_param("uploadId", upload_id);
}

}  // namespace

Result<S3Response> S3Objects::send(S3Request request, std::string_view context,
                                   ErrorCode not_found) {
  S3Response response = BERTH_TRY(client_.send(request));
  if (!response.ok()) return std::unexpected(from_s3_xml(response, context, not_found));
  return response;
}

Result<ObjectInfo> S3Objects::head(const std::string& key, ErrorCode not_found) {
  S3Response response = BERTH_TRY(send({.method = "HEAD", .key = key}, "stat " + key, not_found));
  ObjectInfo info;
  const std::string length = response.header("content-length");
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), info.size);
  if (length.empty() || ec != std::errc()) {
    return fail(ErrorCode::kCorruption, "S3 answered a HEAD without a Content-Length", key);
  }
  info.last_modified_ms = parse_http_date_ms(response.header("last-modified")).value_or(0);
  return info;
}

Result<std::string> S3Objects::get_range(const std::string& key, std::uint64_t offset,
                                         std::uint64_t length, ErrorCode not_found) {
  std::string out;
  BERTH_TRY_STATUS(get_range_into(key, offset, length, out, not_found));
  return out;
}

Status S3Objects::get_range_into(const std::string& key, std::uint64_t offset,
                                 std::uint64_t length, std::string& out, ErrorCode not_found) {
  S3Request request{.method = "GET", .key = key, .body_sink = &out};
  request.headers.emplace_back("Range", range_header(offset, length));
  S3Response response = BERTH_TRY(send(std::move(request), "read " + key, not_found));
  if (response.status == 200 && offset == 0 && out.size() >= length) {
    out.resize(length);  // a server that ignores Range sends it all
  }
  if (out.size() != length) {
    return fail(ErrorCode::kCorruption, "S3 returned fewer bytes than the object holds",
                key + " at " + std::to_string(offset));
  }
  return ok();
}

Result<std::string> S3Objects::get(const std::string& key, ErrorCode not_found) {
  S3Response response = BERTH_TRY(send({.method = "GET", .key = key}, "read " + key, not_found));
  return std::move(response.body);
}

Status S3Objects::put(const std::string& key, std::string_view body) {
  BERTH_TRY(send({.method = "PUT", .key = key, .body = body}, "write " + key,
                 ErrorCode::kInternal));
  return ok();
}

Status S3Objects::remove(const std::string& key) {
  auto removed = send({.method = "DELETE", .key = key}, "delete " + key, ErrorCode::kBlobNotFound);
  if (!removed && removed.error().code != ErrorCode::kBlobNotFound) {
    return std::unexpected(std::move(removed).error());
  }
  return ok();
}

Status S3Objects::copy(const std::string& from, const std::string& to, std::uint64_t size) {
  const std::string source = address(config(), from).raw_path;
  // The copy source names the bucket in every addressing style.
  const std::string copy_source =
      config().path_style ? source : "/" + config().bucket + source;
  if (size <= kMaxSingleCopy) {
    S3Request request{.method = "PUT", .key = to};
    request.headers.emplace_back("x-amz-copy-source", copy_source);
    // A copy onto itself must change something: it renews LastModified.
    if (from == to) request.headers.emplace_back("x-amz-metadata-directive", "REPLACE");
    S3Response response =
        BERTH_TRY(send(std::move(request), "copy " + from + " to " + to, ErrorCode::kInternal));
    BERTH_TRY(parse_copy_result(response.body));
    return ok();
  }
  const std::string upload_id = BERTH_TRY(create_multipart(to));
  std::vector<CompletedPart> parts;
  for (std::uint64_t offset = 0; offset < size; offset += kCopyPartSize) {
    const int number = static_cast<int>(parts.size()) + 1;
    S3Request request{.method = "PUT", .key = to,
                      .query = join_query({s3_query_param("partNumber", std::to_string(number)),
                                           upload_id_param(upload_id)})};
    request.headers.emplace_back("x-amz-copy-source", copy_source);
    request.headers.emplace_back("x-amz-copy-source-range",
                                 range_header(offset, std::min(kCopyPartSize, size - offset)));
    auto response = send(std::move(request), "copy " + from + " to " + to, ErrorCode::kInternal);
    auto etag = response ? parse_copy_result(response->body)
                         : Result<std::string>(std::unexpected(response.error()));
    if (!etag) {
      (void)abort_multipart(to, upload_id);
      return std::unexpected(std::move(etag).error());
    }
    parts.push_back({number, std::move(*etag)});
  }
  return complete_multipart(to, upload_id, parts);
}

Status S3Objects::list(const std::string& prefix,
                       const std::function<Status(const ListedObject&)>& visit) {
  std::string token;
  for (;;) {
    S3Request request{
        .method = "GET",
        .query = join_query({token.empty() ? "" : s3_query_param("continuation-token", token),
                             "list-type=2", s3_query_param("prefix", prefix)})};
    S3Response response =
        BERTH_TRY(send(std::move(request), "list " + prefix, ErrorCode::kUnavailable));
    ListObjectsPage page = BERTH_TRY(parse_list_objects_v2(response.body));
    for (const ListedObject& object : page.objects) BERTH_TRY_STATUS(visit(object));
    if (!page.truncated) return ok();
    token = std::move(page.next_continuation_token);
  }
}

Status S3Objects::list_prefixes(const std::string& prefix,
                                const std::function<Status(const std::string&)>& visit) {
  std::string token;
  for (;;) {
    S3Request request{
        .method = "GET",
        .query = join_query({token.empty() ? "" : s3_query_param("continuation-token", token),
                             s3_query_param("delimiter", "/"), "list-type=2",
                             s3_query_param("prefix", prefix)})};
    S3Response response =
        BERTH_TRY(send(std::move(request), "list " + prefix, ErrorCode::kUnavailable));
    ListObjectsPage page = BERTH_TRY(parse_list_objects_v2(response.body));
    for (const std::string& common : page.common_prefixes) BERTH_TRY_STATUS(visit(common));
    if (!page.truncated) return ok();
    token = std::move(page.next_continuation_token);
  }
}

Result<std::string> S3Objects::create_multipart(const std::string& key) {
  // Not idempotent: each call creates another upload (a retry after a lost
  // answer leaves one behind, which abort_multiparts_under reclaims).
  S3Response response =
      BERTH_TRY(send({.method = "POST", .key = key, .query = "uploads", .idempotent = false},
                     "start multipart upload " + key, ErrorCode::kInternal));
  return parse_initiate_multipart_upload(response.body);
}

Result<std::string> S3Objects::upload_part(const std::string& key, const std::string& upload_id,
                                           int number, std::string_view body) {
  S3Request request{.method = "PUT", .key = key,
                    .query = join_query({s3_query_param("partNumber", std::to_string(number)),
                                         upload_id_param(upload_id)}),
                    .body = body};
  S3Response response = BERTH_TRY(send(std::move(request),
                                       "upload part " + std::to_string(number) + " of " + key,
                                       ErrorCode::kUploadNotFound));
  std::string etag = response.header("etag");
  if (etag.empty()) return fail(ErrorCode::kCorruption, "S3 answered a part without an ETag", key);
  return etag;
}

Status S3Objects::complete_multipart(const std::string& key, const std::string& upload_id,
                                     const std::vector<CompletedPart>& parts) {
  const std::string body = complete_multipart_upload_body(parts);
  S3Request request{.method = "POST", .key = key, .query = upload_id_param(upload_id),
                    .body = body};
  S3Response response = BERTH_TRY(
      send(std::move(request), "complete multipart upload " + key, ErrorCode::kUploadNotFound));
  // A 200 may still carry an <Error> (S3 fails late, after it started
  // answering).
  if (auto error = parse_error_document(response.body)) {
    return std::unexpected(from_s3_xml(response, "complete multipart upload " + key,
                                       ErrorCode::kUploadNotFound));
  }
  return ok();
}

Status S3Objects::abort_multipart(const std::string& key, const std::string& upload_id) {
  auto aborted = send({.method = "DELETE", .key = key, .query = upload_id_param(upload_id)},
                      "abort multipart upload " + key, ErrorCode::kUploadNotFound);
  if (!aborted && aborted.error().code != ErrorCode::kUploadNotFound) {
    return std::unexpected(std::move(aborted).error());
  }
  return ok();
}

Status S3Objects::abort_multiparts_under(const std::string& prefix) {
  std::string key_marker, id_marker;
  for (;;) {
    S3Request request{
        .method = "GET",
        .query = join_query({key_marker.empty() ? "" : s3_query_param("key-marker", key_marker),
                             s3_query_param("prefix", prefix),
                             id_marker.empty() ? "" : s3_query_param("upload-id-marker", id_marker),
                             "uploads"})};
    S3Response response = BERTH_TRY(
        send(std::move(request), "list multipart uploads " + prefix, ErrorCode::kUnavailable));
    ListUploadsPage page = BERTH_TRY(parse_list_multipart_uploads(response.body));
    for (const ListedUpload& upload : page.uploads) {
      BERTH_TRY_STATUS(abort_multipart(upload.key, upload.upload_id));
    }
    if (!page.truncated || page.next_key_marker.empty()) return ok();
    key_marker = std::move(page.next_key_marker);
    id_marker = std::move(page.next_upload_id_marker);
  }
}

Status S3Objects::check_bucket(bool create_bucket) {
  const std::string bucket = "bucket '" + config().bucket + "'";
  auto listed = client_.send({.method = "GET", .query = "list-type=2&max-keys=1"});
  if (!listed) return std::unexpected(std::move(listed).error());
  if (listed->ok()) return ok();
  const Error error = from_s3_xml(*listed, bucket, ErrorCode::kUnavailable);
  if (error.detail == "NoSuchBucket" || (listed->status == 404 && error.detail.empty())) {
    if (!create_bucket) {
      return fail(ErrorCode::kUnavailable,
                  bucket + " does not exist (create it, or start with --create-bucket)");
    }
    const std::string body = create_bucket_body(config().region);
    auto created = client_.send({.method = "PUT", .body = body});
    if (!created) return std::unexpected(std::move(created).error());
    if (created->ok()) return ok();
    Error create_error = from_s3_xml(*created, "cannot create " + bucket, ErrorCode::kInternal);
    if (create_error.detail == "BucketAlreadyOwnedByYou") return ok();
    return std::unexpected(std::move(create_error));
  }
  if (listed->status == 403) {
    return fail(ErrorCode::kUnavailable,
                "S3 refused the credentials for " + bucket + " (" +
                    (error.detail.empty() ? std::string("403") : error.detail) +
                    "): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or "
                    "--blob-store-credentials");
  }
  if (listed->status == 301 || error.detail == "PermanentRedirect" ||
      error.detail == "AuthorizationHeaderMalformed") {
    return fail(ErrorCode::kUnavailable, bucket + " is not in region '" + config().region +
                                             "' (set region= in the s3:// URL)");
  }
  return std::unexpected(error);
}

}  // namespace berth::storage::blob::s3
