// Reading S3's XML answers as AWS and Ceph RGW write them, and its two
// time formats.
#include <gtest/gtest.h>

#include "storage/blob/s3/s3_client.hpp"
#include "storage/blob/s3/s3_time.hpp"
#include "storage/blob/s3/s3_xml.hpp"

namespace berth::storage::blob::s3 {
namespace {

TEST(S3Xml, ErrorDocuments) {
  auto doc = parse_error_document(
      R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>)"
      R"(<Message>The specified key does not exist.</Message><Key>a&amp;b</Key>)"
      R"(<RequestId>tx1</RequestId></Error>)");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->code, "NoSuchKey");
  EXPECT_EQ(doc->message, "The specified key does not exist.");
  EXPECT_FALSE(parse_error_document("").has_value());
  EXPECT_FALSE(parse_error_document("<html>").has_value());
  EXPECT_FALSE(parse_error_document("<ListBucketResult/>").has_value());
}

TEST(S3Xml, ListObjectsV2Page) {
  auto page = parse_list_objects_v2(
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>)"
      R"(<Prefix>p/blobs/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>)"
      R"(<IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=</NextContinuationToken>)"
      R"(<Contents><Key>p/blobs/sha256/ab/ab01</Key><LastModified>2026-12-05T07:37:17.123Z</LastModified>)"
      R"(<ETag>&quot;x&quot;</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>)"
      R"(<Contents><Key>p/blobs/x</Key><LastModified>2026-12-05T07:37:18Z</LastModified><Size>0</Size></Contents>)"
      R"(<CommonPrefixes><Prefix>p/uploads/id-1/</Prefix></CommonPrefixes></ListBucketResult>)");
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok/+=");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "p/blobs/sha256/ab/ab01");
  EXPECT_EQ(page->objects[0].size, 42u);
  EXPECT_EQ(page->objects[0].last_modified_ms, 1796456237123);
  EXPECT_EQ(page->objects[1].last_modified_ms, 1796456238000);
  ASSERT_EQ(page->common_prefixes.size(), 1u);
  EXPECT_EQ(page->common_prefixes[0], "p/uploads/id-1/");

  EXPECT_FALSE(parse_list_objects_v2("<Error><Code>x</Code></Error>").has_value());
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
                                     "<LastModified>2026-12-05T07:37:18Z</LastModified>"
                                     "</Contents></ListBucketResult>")
                   .has_value());
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                     "</ListBucketResult>")
                   .has_value())
      << "a truncated page must say where to go on";
}

TEST(S3Xml, MultipartDocuments) {
  auto id = parse_initiate_multipart_upload(
      R"(<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Bucket>b</Bucket><Key>k</Key><UploadId>2~AbC-dEf</UploadId></InitiateMultipartUploadResult>)");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, "2~AbC-dEf");
  EXPECT_FALSE(parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>").has_value());

  auto uploads = parse_list_multipart_uploads(
      R"(<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>)"
      R"(<Upload><Key>u/1/data</Key><UploadId>a</UploadId></Upload>)"
      R"(<Upload><Key>u/2/data</Key><UploadId>b</UploadId></Upload></ListMultipartUploadsResult>)");
  ASSERT_TRUE(uploads.has_value());
  ASSERT_EQ(uploads->uploads.size(), 2u);
  EXPECT_EQ(uploads->uploads[1].key, "u/2/data");
  EXPECT_EQ(uploads->uploads[1].upload_id, "b");

  EXPECT_EQ(complete_multipart_upload_body({{1, "\"e1\""}, {2, "\"e&2\""}}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
            "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;e&amp;2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(create_bucket_body("us-east-1"), "");
  EXPECT_EQ(create_bucket_body("eu-west-1"),
            "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
            "</CreateBucketConfiguration>");
}

TEST(S3Xml, CopyResultsMayBeErrorsInDisguise) {
  auto etag = parse_copy_result("<CopyObjectResult><LastModified>2026-12-05T07:37:18Z"
                                "</LastModified><ETag>\"e\"</ETag></CopyObjectResult>");
  ASSERT_TRUE(etag.has_value());
  EXPECT_EQ(*etag, "\"e\"");
  EXPECT_TRUE(parse_copy_result("<CopyPartResult><ETag>p</ETag></CopyPartResult>").has_value());
  auto failed = parse_copy_result("<Error><Code>InternalError</Code></Error>");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
}

TEST(S3Xml, ErrorsMapToDomainCodes) {
  auto mapped = [](long status, std::string body, ErrorCode not_found = ErrorCode::kBlobNotFound) {
    S3Response response;
    response.status = status;
    response.body = std::move(body);
    return from_s3_xml(response, "op", not_found).code;
  };
  EXPECT_EQ(mapped(404, ""), ErrorCode::kBlobNotFound);
  EXPECT_EQ(mapped(404, "<Error><Code>NoSuchKey</Code></Error>", ErrorCode::kUploadNotFound),
            ErrorCode::kUploadNotFound);
  EXPECT_EQ(mapped(404, "<Error><Code>NoSuchUpload</Code></Error>"), ErrorCode::kUploadNotFound);
  EXPECT_EQ(mapped(404, "<Error><Code>NoSuchBucket</Code></Error>"), ErrorCode::kUnavailable);
  EXPECT_EQ(mapped(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"),
            ErrorCode::kUnavailable);
  EXPECT_EQ(mapped(503, "<Error><Code>SlowDown</Code></Error>"), ErrorCode::kUnavailable);
  EXPECT_EQ(mapped(500, ""), ErrorCode::kUnavailable);
  EXPECT_EQ(mapped(416, ""), ErrorCode::kRangeInvalid);
  EXPECT_EQ(mapped(400, "<Error><Code>EntityTooSmall</Code></Error>"), ErrorCode::kInternal);
  S3Response response;
  response.status = 503;
  response.body = "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>";
  Error error = from_s3_xml(response, "write k", ErrorCode::kInternal);
  EXPECT_EQ(error.message, "write k: S3 answered 503 SlowDown (Please reduce)");
  EXPECT_EQ(error.detail, "SlowDown");
}

TEST(S3Time, Iso8601AndHttpDates) {
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_ms("2013-05-24T00:00:00.000Z"), 1369353600000);
  EXPECT_EQ(parse_iso8601_ms("2013-05-24T00:00:00.5Z"), 1369353600500);
  EXPECT_FALSE(parse_iso8601_ms("2013-05-24 00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso8601_ms("2013-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso8601_ms("2013-05-24T00:00:00").has_value());
  EXPECT_EQ(parse_http_date_ms("Fri, 24 May 2013 00:00:00 GMT"), 1369353600000);
  EXPECT_FALSE(parse_http_date_ms("Fri, 24 Foo 2013 00:00:00 GMT").has_value());
  EXPECT_FALSE(parse_http_date_ms("2013-05-24T00:00:00Z").has_value());
}

}  // namespace
}  // namespace berth::storage::blob::s3
