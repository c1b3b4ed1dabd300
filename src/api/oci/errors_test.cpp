#include "api/oci/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace berth::api::oci {
namespace {

using Status = http::beast_http::status;

TEST(OciErrorTableTest, CoversEveryErrorCode) {
  for (ErrorCode code : kAllErrorCodes) {
    std::optional<OciErrorDescriptor> d = find_oci_error(code);
    ASSERT_TRUE(d.has_value()) << to_string(code);
    EXPECT_FALSE(d->code.empty()) << to_string(code);
    EXPECT_GE(static_cast<int>(d->status), 400) << to_string(code);
  }
}

TEST(OciErrorTableTest, Mappings) {
  struct Row {
    ErrorCode code;
    std::string_view oci;
    Status status;
  };
  const Row rows[] = {
      {ErrorCode::kNameInvalid, "NAME_INVALID", Status::bad_request},
      {ErrorCode::kTagInvalid, "TAG_INVALID", Status::bad_request},
      {ErrorCode::kDigestInvalid, "DIGEST_INVALID", Status::bad_request},
      {ErrorCode::kRepositoryNotFound, "NAME_UNKNOWN", Status::not_found},
      {ErrorCode::kRepositoryNotEmpty, "DENIED", Status::conflict},
      {ErrorCode::kManifestNotFound, "MANIFEST_UNKNOWN", Status::not_found},
      {ErrorCode::kManifestInvalid, "MANIFEST_INVALID", Status::bad_request},
      {ErrorCode::kManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN", Status::bad_request},
      {ErrorCode::kBlobNotFound, "BLOB_UNKNOWN", Status::not_found},
      {ErrorCode::kUploadNotFound, "BLOB_UPLOAD_UNKNOWN", Status::not_found},
      {ErrorCode::kDigestMismatch, "DIGEST_INVALID", Status::bad_request},
      {ErrorCode::kSizeInvalid, "SIZE_INVALID", Status::bad_request},
      {ErrorCode::kRangeInvalid, "BLOB_UPLOAD_INVALID", Status::range_not_satisfiable},
      {ErrorCode::kAlreadyExists, "DENIED", Status::conflict},
      {ErrorCode::kTagImmutable, "TAG_INVALID", Status::bad_request},
      {ErrorCode::kReferencedByIndex, "DENIED", Status::bad_request},
      {ErrorCode::kImageArchived, "MANIFEST_UNKNOWN", Status::not_found},
      {ErrorCode::kLimitExceeded, "SIZE_INVALID", Status::payload_too_large},
      {ErrorCode::kQuotaExceeded, "DENIED", Status::forbidden},
      {ErrorCode::kInvalidArgument, "UNSUPPORTED", Status::bad_request},
      {ErrorCode::kUnauthenticated, "UNAUTHORIZED", Status::unauthorized},
      {ErrorCode::kDenied, "DENIED", Status::forbidden},
      {ErrorCode::kUnsupported, "UNSUPPORTED", Status::method_not_allowed},
      {ErrorCode::kUnavailable, "UNAVAILABLE", Status::service_unavailable},
      {ErrorCode::kCorruption, "UNKNOWN", Status::internal_server_error},
      {ErrorCode::kInternal, "UNKNOWN", Status::internal_server_error},
  };
  EXPECT_EQ(std::size(rows), std::size(kAllErrorCodes));
  for (const Row& row : rows) {
    const OciErrorDescriptor d = oci_error_for(row.code);
    EXPECT_EQ(d.code, row.oci) << to_string(row.code);
    EXPECT_EQ(d.status, row.status) << to_string(row.code);
  }
}

TEST(OciErrorTableTest, ResponseBody) {
  http::Response r = error_response(Error{ErrorCode::kBlobNotFound, "blob \"x\" unknown", "sha256:x"});
  EXPECT_EQ(r.status, Status::not_found);
  EXPECT_EQ(r.headers[http::beast_http::field::content_type], "application/json");
  const boost::json::value v = boost::json::parse(r.body);
  const auto& e = v.at("errors").as_array().at(0).as_object();
  EXPECT_EQ(e.at("code").as_string(), "BLOB_UNKNOWN");
  EXPECT_EQ(e.at("message").as_string(), "blob \"x\" unknown");
  EXPECT_EQ(e.at("detail").as_string(), "sha256:x");
}

TEST(OciErrorTableTest, EmptyDetailOmitted) {
  http::Response r = error_response(Error{ErrorCode::kInternal, "boom", ""});
  const boost::json::value v = boost::json::parse(r.body);
  EXPECT_FALSE(v.at("errors").as_array().at(0).as_object().contains("detail"));
}

TEST(OciErrorTableTest, EndpointNotFound) {
  http::Response r = endpoint_not_found_response("/v2/x");
  EXPECT_EQ(r.status, Status::not_found);
  const boost::json::value v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("errors").as_array().at(0).at("code").as_string(), "UNSUPPORTED");
}

}  // namespace
}  // namespace berth::api::oci
