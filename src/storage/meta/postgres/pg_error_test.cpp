// from_pg's SQLSTATE mapping and the binary array codec: no server needed.
// Thread-safety: single-threaded GoogleTest cases.
#include "storage/meta/postgres/pg_error.hpp"

#include <gtest/gtest.h>

#include "storage/meta/postgres/pg_connection.hpp"

namespace berth::storage::meta::postgres {
namespace {

TEST(FromPg, MapsSqlstatesByMeaning) {
  struct Case {
    const char* sqlstate;
    ErrorCode code;
  };
  const Case cases[] = {
      {"23505", ErrorCode::kAlreadyExists},   // unique_violation
      {"40001", ErrorCode::kUnavailable},     // serialization_failure
      {"40P01", ErrorCode::kUnavailable},     // deadlock_detected
      {"08006", ErrorCode::kUnavailable},     // connection_failure
      {"08001", ErrorCode::kUnavailable},     // sqlclient_unable_to_establish_sqlconnection
      {"57P01", ErrorCode::kUnavailable},     // admin_shutdown
      {"57P03", ErrorCode::kUnavailable},     // cannot_connect_now
      {"53100", ErrorCode::kUnavailable},     // disk_full
      {"53300", ErrorCode::kUnavailable},     // too_many_connections
      {"55P03", ErrorCode::kUnavailable},     // lock_not_available
      {"57014", ErrorCode::kUnavailable},     // query_canceled
      {"28P01", ErrorCode::kDenied},          // invalid_password
      {"3D000", ErrorCode::kInvalidArgument}, // invalid_catalog_name
      {"22021", ErrorCode::kInvalidArgument}, // character_not_in_repertoire (bad UTF-8)
      {"23503", ErrorCode::kInvalidArgument}, // foreign_key_violation (callers refine it)
      {"XX001", ErrorCode::kCorruption},      // data_corrupted
      {"XX002", ErrorCode::kCorruption},      // index_corrupted
      {"42P01", ErrorCode::kInternal},        // undefined_table
      {"25P02", ErrorCode::kInternal},        // in_failed_sql_transaction
      {"", ErrorCode::kUnavailable},          // no answer: the connection broke
  };
  for (const Case& c : cases) {
    Error e = from_pg(c.sqlstate, "server says so", "INSERT INTO x");
    EXPECT_EQ(e.code, c.code) << c.sqlstate << ": " << e.message;
    EXPECT_NE(e.message.find("server says so"), std::string::npos) << c.sqlstate;
    EXPECT_NE(e.detail.find("INSERT INTO x"), std::string::npos) << c.sqlstate;
    if (*c.sqlstate != '\0') {
      EXPECT_NE(e.detail.find(c.sqlstate), std::string::npos);
    }
  }
}

TEST(FromPg, OnlySerializationFailuresAndDeadlocksAreRetried) {
  EXPECT_TRUE(is_retryable("40001"));
  EXPECT_TRUE(is_retryable("40P01"));
  for (const char* s : {"", "23505", "23503", "08006", "57P01", "55P03", "40002", "40003"}) {
    EXPECT_FALSE(is_retryable(s)) << s;
  }
  EXPECT_TRUE(is_connection_failure(""));
  EXPECT_TRUE(is_connection_failure("08003"));
  EXPECT_TRUE(is_connection_failure("57P02"));
  EXPECT_FALSE(is_connection_failure("40001"));
  EXPECT_FALSE(is_connection_failure("23505"));
}

TEST(BinaryArrays, TextArraysRoundTrip) {
  for (const std::vector<std::string>& items :
       {std::vector<std::string>{}, std::vector<std::string>{""},
        std::vector<std::string>{"a", "b,c", "{\"quoted\"}", std::string("nul\0byte", 8)}}) {
    auto decoded = decode_text_array(encode_text_array(items));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, items);
  }
}

TEST(BinaryArrays, MalformedArraysAreCorruption) {
  std::string good = encode_text_array(std::vector<std::string>{"abc"});
  for (std::string bad : {std::string(), good.substr(0, 11), good.substr(0, good.size() - 1),
                          good + "x"}) {
    auto decoded = decode_text_array(bad);
    ASSERT_FALSE(decoded.has_value()) << bad.size();
    EXPECT_EQ(decoded.error().code, ErrorCode::kCorruption);
  }
  // int8 arrays: header (ndim 1, no nulls, int8), one dimension, 8-byte items.
  std::string ints = encode_int8_array(std::vector<std::int64_t>{1, -1});
  EXPECT_EQ(ints.size(), 20u + 2 * 12);
  EXPECT_EQ(ints.substr(ints.size() - 8), std::string(8, '\xff'));
}

}  // namespace
}  // namespace berth::storage::meta::postgres
