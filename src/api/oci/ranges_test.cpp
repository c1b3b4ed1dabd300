#include "api/oci/ranges.hpp"

#include <gtest/gtest.h>

namespace berth::api::oci {
namespace {

RangeSelection partial(std::uint64_t a, std::uint64_t b) {
  return {RangeKind::kPartial, {a, b}};
}

void expect_selection(std::string_view header, std::uint64_t size, RangeSelection want) {
  const RangeSelection got = select_range(header, size);
  EXPECT_EQ(got.kind, want.kind) << header << " size " << size;
  if (want.kind == RangeKind::kPartial) {
    EXPECT_EQ(got.range, want.range) << header;
  }
}

TEST(RangeHeaderTest, Forms) {
  expect_selection("bytes=0-9", 100, partial(0, 9));
  expect_selection("bytes=10-", 100, partial(10, 99));
  expect_selection("bytes=-10", 100, partial(90, 99));
  expect_selection("bytes=99-99", 100, partial(99, 99));
  expect_selection("BYTES= 5 - 6 ", 100, partial(5, 6));
}

TEST(RangeHeaderTest, Clamping) {
  expect_selection("bytes=50-1000", 100, partial(50, 99));
  expect_selection("bytes=-1000", 100, partial(0, 99));
}

TEST(RangeHeaderTest, Unsatisfiable) {
  expect_selection("bytes=100-", 100, {RangeKind::kUnsatisfiable, {}});
  expect_selection("bytes=100-200", 100, {RangeKind::kUnsatisfiable, {}});
  expect_selection("bytes=-0", 100, {RangeKind::kUnsatisfiable, {}});
  expect_selection("bytes=0-", 0, {RangeKind::kUnsatisfiable, {}});
  expect_selection("bytes=-5", 0, {RangeKind::kUnsatisfiable, {}});
  expect_selection("bytes=9-5", 100, {RangeKind::kUnsatisfiable, {}});
  expect_selection("bytes=500-0", 1000, {RangeKind::kUnsatisfiable, {}});
}

TEST(RangeHeaderTest, IgnoredHeadersServeWhole) {
  for (const char* h : {"", "bytes=", "bytes=a-b", "items=0-1", "bytes=0-1,3-4",
                        "bytes=-", "bytes=1", "bytes=99999999999999999999999-"}) {
    expect_selection(h, 100, {RangeKind::kWhole, {}});
  }
}

TEST(RangeHeaderTest, Formatting) {
  EXPECT_EQ(content_range_value({0, 9}, 100), "bytes 0-9/100");
  EXPECT_EQ(unsatisfied_range_value(100), "bytes */100");
}

TEST(ContentRangeTest, Forms) {
  EXPECT_EQ(parse_content_range("0-99"), (ByteRange{0, 99}));
  EXPECT_EQ(parse_content_range("100-199"), (ByteRange{100, 199}));
  EXPECT_EQ(parse_content_range("bytes 5-9/10"), (ByteRange{5, 9}));
  EXPECT_EQ(parse_content_range("bytes=5-9"), (ByteRange{5, 9}));
  EXPECT_EQ(parse_content_range("bytes 5-9/*"), (ByteRange{5, 9}));
  EXPECT_EQ(parse_content_range(" 7-7 "), (ByteRange{7, 7}));
}

TEST(ContentRangeTest, Malformed) {
  for (const char* h : {"", "-", "5-", "-5", "9-5", "a-b", "5-9/x", "1-2-3", "bytes */10"}) {
    EXPECT_FALSE(parse_content_range(h).has_value()) << h;
  }
}

TEST(UploadRangeTest, Values) {
  EXPECT_EQ(upload_range_value(0), "0-0");
  EXPECT_EQ(upload_range_value(1), "0-0");
  EXPECT_EQ(upload_range_value(100), "0-99");
}

}  // namespace
}  // namespace berth::api::oci
