#include "api/ecr/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/ecr/model/shape_model.hpp"
#include "auth/failure_kinds.hpp"

namespace berth::api::ecr {
namespace {

namespace json = boost::json;

TEST(EcrErrors, TableCoversEveryErrorCode) {
  for (ErrorCode code : kAllErrorCodes) {
    EXPECT_TRUE(find_ecr_error(code).has_value()) << to_string(code);
  }
}

TEST(EcrErrors, EveryModelledTypeInTheTableIsAnExceptionOfTheModel) {
  // Types the protocol invents on purpose (documented in docs/ecr.md).
  const std::set<std::string_view> invented = {kUnsupportedOperation, "AccessDeniedException",
                                               "UnrecognizedClientException"};
  for (ErrorCode code : kAllErrorCodes) {
    auto d = find_ecr_error(code);
    ASSERT_TRUE(d);
    if (invented.contains(d->type)) continue;
    const Shape* shape = ShapeModel::instance().find_shape(d->type);
    ASSERT_NE(shape, nullptr) << d->type;
    EXPECT_TRUE(shape->is_exception) << d->type;
    EXPECT_EQ(d->http_status, shape->is_fault ? 500 : 400) << d->type;
  }
}

TEST(EcrErrors, KeyMappings) {
  EXPECT_EQ(find_ecr_error(ErrorCode::kRepositoryNotFound)->type, "RepositoryNotFoundException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kManifestNotFound)->type, "ImageNotFoundException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kBlobNotFound)->type, "LayersNotFoundException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kManifestBlobUnknown)->type, "LayersNotFoundException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kUploadNotFound)->type, "UploadNotFoundException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kDigestMismatch)->type, "InvalidLayerException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kTagImmutable)->type, "ImageTagAlreadyExistsException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kAlreadyExists)->type, "RepositoryAlreadyExistsException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kLimitExceeded)->type, "LimitExceededException");
  EXPECT_EQ(find_ecr_error(ErrorCode::kQuotaExceeded)->type, "LimitExceededException");
  for (ErrorCode c : {ErrorCode::kUnavailable, ErrorCode::kInternal, ErrorCode::kCorruption}) {
    EXPECT_EQ(find_ecr_error(c)->type, "ServerException");
    EXPECT_EQ(find_ecr_error(c)->http_status, 500);
  }
}

TEST(EcrErrors, RepositoryMessagesUseEcrWording) {
  auto f = to_ecr_failure(Error{ErrorCode::kRepositoryNotFound, "x", ""}, "123456789012", "abc-app");
  EXPECT_EQ(f.type, "RepositoryNotFoundException");
  EXPECT_EQ(f.http_status, 400);
  EXPECT_EQ(f.message,
            "The repository with name 'abc-app' does not exist in the registry with id "
            "'123456789012'");
  auto plain = to_ecr_failure(Error{ErrorCode::kManifestNotFound, "no such image", ""});
  EXPECT_EQ(plain.message, "no such image");
}

TEST(EcrErrors, SerializationDetailBecomesTheType) {
  auto f = to_ecr_failure(Error{ErrorCode::kInvalidArgument, "bad", "SerializationException"});
  EXPECT_EQ(f.type, "SerializationException");
  auto p = to_ecr_failure(Error{ErrorCode::kInvalidArgument, "bad", "InvalidParameterException"});
  EXPECT_EQ(p.type, "InvalidParameterException");
}

TEST(EcrErrors, AuthenticationKindsMapToAwsTypesAndStatuses) {
  struct Case {
    std::string_view kind, type;
    int status;
  };
  for (const Case& c : {Case{auth::kMissingAuthenticationToken, "MissingAuthenticationTokenException", 403},
                        Case{auth::kIncompleteSignature, "IncompleteSignatureException", 400},
                        Case{auth::kUnrecognizedClient, "UnrecognizedClientException", 403},
                        Case{auth::kInvalidSignature, "InvalidSignatureException", 403},
                        Case{auth::kSignatureExpired, "InvalidSignatureException", 403},
                        Case{auth::kExpiredToken, "ExpiredTokenException", 403}}) {
    auto f = to_ecr_failure(Error{ErrorCode::kUnauthenticated, "m", std::string(c.kind)});
    EXPECT_EQ(f.type, c.type) << c.kind;
    EXPECT_EQ(f.http_status, c.status) << c.kind;
  }
}

TEST(EcrErrors, BodyCarriesTypeMessageAndExtras) {
  EcrFailure f{"InvalidLayerPartException", "out of order", {}, 400};
  f.extra["lastValidByteReceived"] = 41;
  f.extra["__type"] = "ignored";
  json::value body = json::parse(error_body(f));
  EXPECT_EQ(body.at("__type"), "InvalidLayerPartException");
  EXPECT_EQ(body.at("message"), "out of order");
  EXPECT_EQ(body.at("lastValidByteReceived"), 41);
}

}  // namespace
}  // namespace berth::api::ecr
