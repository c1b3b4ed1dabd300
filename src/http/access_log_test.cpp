#include "http/access_log.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace berth::http {
namespace {

TEST(AccessLog, JsonLineCarriesTheRecordAndAPlainDuration) {
  RequestRecord r;
  r.method = "POST";
  r.target = "/";
  r.operation = "ecr:PutImage";
  r.error_name = "ImageAlreadyExistsException";
  r.principal = "AKIAEXAMPLE";
  r.request_id = "0f6c2a1e-0000-4000-8000-000000000000";
  r.remote = "10.0.0.7";
  r.status = 400;
  r.duration = std::chrono::microseconds(1508);
  r.bytes_received = 812;
  r.bytes_sent = 97;
  const std::string line = access_log_json(r);
  EXPECT_NE(line.find(R"("duration_ms":1.508})"), std::string::npos) << line;
  const auto parsed = boost::json::parse(line).as_object();
  EXPECT_EQ(parsed.at("msg").as_string(), "request");
  EXPECT_EQ(parsed.at("request_id").as_string(), r.request_id);
  EXPECT_EQ(parsed.at("operation").as_string(), "ecr:PutImage");
  EXPECT_EQ(parsed.at("error").as_string(), "ImageAlreadyExistsException");
  EXPECT_EQ(parsed.at("principal").as_string(), "AKIAEXAMPLE");
  EXPECT_EQ(parsed.at("status").as_int64(), 400);
  EXPECT_EQ(parsed.at("bytes_in").to_number<std::uint64_t>(), 812u);
  EXPECT_EQ(parsed.at("bytes_out").to_number<std::uint64_t>(), 97u);
  EXPECT_EQ(parsed.at("remote").as_string(), "10.0.0.7");
  // The logger merges lines that start with a "msg" member (util/log.hpp).
  EXPECT_TRUE(line.starts_with(R"({"msg":)")) << line;
}

TEST(AccessLog, AnonymousSuccessLeavesOptionalMembersOut) {
  RequestRecord r;
  r.method = "GET";
  r.target = "/v2/";
  r.request_id = "abc";
  r.remote = "127.0.0.1";
  r.status = 200;
  const auto parsed = boost::json::parse(access_log_json(r)).as_object();
  EXPECT_FALSE(parsed.contains("principal"));
  EXPECT_FALSE(parsed.contains("error"));
  EXPECT_FALSE(parsed.contains("operation"));
  EXPECT_EQ(parsed.at("duration_ms").as_double(), 0.0);
}

}  // namespace
}  // namespace berth::http
