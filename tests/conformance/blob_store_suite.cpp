#include "conformance/blob_store_suite.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <map>
#include <ostream>
#include <random>
#include <thread>
#include <vector>

#include "crypto/hasher.hpp"
#include "oci/digest.hpp"
#include "util/time.hpp"

namespace berth::conformance {

using storage::blob::BlobInfo;
using storage::blob::BlobReader;
using storage::blob::BlobStore;
using storage::blob::BlobWriter;
using storage::blob::UploadInfo;

void PrintTo(const BlobStoreFactory& factory, std::ostream* os) { *os << factory.name; }

std::string blob_store_factory_name(const ::testing::TestParamInfo<BlobStoreFactory>& info) {
  return info.param.name;
}

std::filesystem::path make_temp_dir(std::string_view prefix) {
  const char* env = std::getenv("BERTH_TEST_TMPDIR");
  std::filesystem::path base =
      env && *env ? std::filesystem::path(env) : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  for (;;) {
    std::filesystem::path dir =
        base / (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter++) + "-" + std::to_string(random()));
    if (std::filesystem::create_directory(dir)) return dir;
  }
}

namespace {

constexpr std::size_t kChunk = 64 * 1024;

// Deterministic bytes that differ per seed, so distinct blobs never collide.
std::string make_bytes(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

oci::Digest sha512_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha512, crypto::sha512_hex(bytes));
}

template <typename R>
::testing::AssertionResult is_ok(const R& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << to_string(result.error().code) << ": "
                                       << result.error().message << " [" << result.error().detail
                                       << "]";
}

template <typename R>
::testing::AssertionResult has_code(const R& result, ErrorCode expected) {
  if (result) {
    return ::testing::AssertionFailure() << "succeeded; expected " << to_string(expected);
  }
  if (result.error().code == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << to_string(result.error().code) << " ("
                                       << result.error().message << "); expected "
                                       << to_string(expected);
}

// Appends in odd-sized pieces so backends see writes that straddle chunks.
Status append_all(BlobWriter& writer, std::string_view bytes, std::size_t piece = 7919) {
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    std::string_view part = bytes.substr(at, piece);
    BERTH_TRY_STATUS(writer.append(std::span<const char>(part.data(), part.size())));
  }
  return ok();
}

Result<BlobInfo> put_blob(BlobStore& store, std::string_view id, std::string_view bytes,
                          const oci::Digest& digest) {
  auto writer = BERTH_TRY(store.begin_upload(id));
  BERTH_TRY_STATUS(append_all(*writer, bytes));
  return writer->commit(digest);
}

Result<BlobInfo> put_blob(BlobStore& store, std::string_view id, std::string_view bytes) {
  return put_blob(store, id, bytes, sha256_of(bytes));
}

Result<std::string> read_all(BlobReader& reader, std::size_t buffer_size = 8191) {
  std::string out;
  std::string buf(buffer_size, '\0');
  for (;;) {
    std::size_t n = BERTH_TRY(reader.read(std::span<char>(buf.data(), buf.size())));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

Result<std::string> read_blob(BlobStore& store, const oci::Digest& digest,
                              std::uint64_t offset = 0) {
  auto reader = BERTH_TRY(store.open(digest, offset));
  return read_all(*reader);
}

std::vector<BlobInfo> list_blobs(BlobStore& store) {
  std::vector<BlobInfo> out;
  auto walked = store.walk([&](const BlobInfo& info) {
    out.push_back(info);
    return ok();
  });
  EXPECT_TRUE(is_ok(walked));
  return out;
}

std::vector<UploadInfo> list_uploads(BlobStore& store) {
  std::vector<UploadInfo> out;
  auto walked = store.walk_uploads([&](const UploadInfo& info) {
    out.push_back(info);
    return ok();
  });
  EXPECT_TRUE(is_ok(walked));
  return out;
}

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BlobStoreConformance);

void BlobStoreConformance::SetUp() {
  store_ = GetParam().make();
  if (IsSkipped() || HasFatalFailure()) return;  // an external backend that is not there
  ASSERT_NE(store_, nullptr) << "factory " << GetParam().name << " made no store";
}

void BlobStoreConformance::TearDown() {
  // A failed test may legitimately leave things behind; only a passing one
  // must have cleaned up after itself.
  if (store_ && !HasFailure()) {
    for (const BlobInfo& info : list_blobs(*store_)) {
      ADD_FAILURE() << "test left blob " << info.digest.str() << " behind";
    }
    for (const UploadInfo& info : list_uploads(*store_)) {
      ADD_FAILURE() << "test left upload " << info.id << " behind";
    }
  }
  store_.reset();
  if (GetParam().teardown) GetParam().teardown();
}

TEST_P(BlobStoreConformance, InvalidUploadIdsAreRejected) {
  using namespace std::string_view_literals;
  const std::string_view bad_ids[] = {
      ""sv,        "."sv,     ".."sv,        "../escape"sv, "a/b"sv,         "/abs"sv,
      "a.b"sv,     "a b"sv,   "a_b"sv,       "a\\b"sv,      "nul\0byte"sv,   "\xc3\xa9t\xc3\xa9"sv,
      "%2e%2e"sv,  "id\n"sv,
  };
  std::string too_long(129, 'a');
  std::vector<std::string_view> ids(std::begin(bad_ids), std::end(bad_ids));
  ids.push_back(too_long);
  for (std::string_view id : ids) {
    SCOPED_TRACE(::testing::Message() << "id \"" << std::string(id) << "\"");
    EXPECT_TRUE(has_code(store().begin_upload(id), ErrorCode::kUploadNotFound));
    EXPECT_TRUE(has_code(store().resume_upload(id), ErrorCode::kUploadNotFound));
    EXPECT_TRUE(has_code(store().stat_upload(id), ErrorCode::kUploadNotFound));
    EXPECT_TRUE(has_code(store().abort_upload(id), ErrorCode::kUploadNotFound));
  }
  // The longest valid id, using every kind of valid character, is accepted.
  std::string longest = "Az09-" + std::string(123, 'x');
  ASSERT_TRUE(is_ok(store().begin_upload(longest)));
  EXPECT_TRUE(is_ok(store().abort_upload(longest)));
}

TEST_P(BlobStoreConformance, EmptyDigestIsRejected) {
  oci::Digest empty;
  EXPECT_TRUE(has_code(store().stat(empty), ErrorCode::kDigestInvalid));
  EXPECT_TRUE(has_code(store().open(empty), ErrorCode::kDigestInvalid));
  EXPECT_TRUE(has_code(store().remove(empty), ErrorCode::kDigestInvalid));
  auto writer = store().begin_upload("empty-digest");
  ASSERT_TRUE(is_ok(writer));
  ASSERT_TRUE(is_ok((*writer)->append(std::span<const char>("abc", 3))));
  EXPECT_TRUE(has_code((*writer)->commit(empty), ErrorCode::kDigestInvalid));
  EXPECT_TRUE(has_code(store().stat_upload("empty-digest"), ErrorCode::kUploadNotFound));
}

TEST_P(BlobStoreConformance, WriteThenReadAtBoundarySizes) {
  const std::size_t sizes[] = {0, 1, kChunk - 1, kChunk + 1, 5 * 1024 * 1024};
  for (std::size_t size : sizes) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    std::string data = make_bytes(size, static_cast<std::uint32_t>(size));
    oci::Digest digest = sha256_of(data);
    std::string id = "size-" + std::to_string(size);

    auto writer = store().begin_upload(id);
    ASSERT_TRUE(is_ok(writer));
    EXPECT_EQ((*writer)->upload_id(), id);
    ASSERT_TRUE(is_ok(append_all(**writer, data)));
    EXPECT_EQ((*writer)->size(), size);
    auto current = (*writer)->current_digest(oci::DigestAlgorithm::kSha256);
    ASSERT_TRUE(is_ok(current));
    EXPECT_EQ(*current, digest);
    EXPECT_TRUE(has_code(store().stat(digest), ErrorCode::kBlobNotFound));

    auto info = (*writer)->commit(digest);
    ASSERT_TRUE(is_ok(info));
    EXPECT_EQ(info->digest, digest);
    EXPECT_EQ(info->size, size);

    auto stat = store().stat(digest);
    ASSERT_TRUE(is_ok(stat));
    EXPECT_EQ(stat->size, size);
    auto reader = store().open(digest);
    ASSERT_TRUE(is_ok(reader));
    EXPECT_EQ((*reader)->size(), size);
    if (int fd = (*reader)->native_handle(); fd >= 0) {
      // The handle must hold the blob's bytes from file offset 0.
      char head[16] = {};
      std::size_t want = std::min<std::size_t>(sizeof head, size);
      EXPECT_EQ(::pread(fd, head, want, 0), static_cast<ssize_t>(want));
      EXPECT_EQ(std::string_view(head, want), std::string_view(data).substr(0, want));
    }
    auto bytes = read_all(**reader);
    ASSERT_TRUE(is_ok(bytes));
    EXPECT_TRUE(*bytes == data) << "content differs";
    EXPECT_TRUE(is_ok(store().remove(digest)));
  }
}

TEST_P(BlobStoreConformance, ReadsFromAnOffset) {
  std::string data = make_bytes(100'000, 7);
  ASSERT_TRUE(is_ok(put_blob(store(), "offsets", data)));
  oci::Digest digest = sha256_of(data);
  for (std::uint64_t offset : {0ull, 1ull, 65535ull, 65536ull, 99'999ull, 100'000ull}) {
    SCOPED_TRACE(::testing::Message() << "offset " << offset);
    auto reader = store().open(digest, offset);
    ASSERT_TRUE(is_ok(reader));
    EXPECT_EQ((*reader)->size(), data.size()) << "size() is of the blob, not the range";
    auto rest = read_all(**reader, 1000);
    ASSERT_TRUE(is_ok(rest));
    EXPECT_TRUE(*rest == data.substr(offset));
  }
  // A read that asks for fewer bytes than remain returns no more than asked.
  auto reader = store().open(digest, 10);
  ASSERT_TRUE(is_ok(reader));
  char three[3];
  auto n = (*reader)->read(three);
  ASSERT_TRUE(is_ok(n));
  ASSERT_GE(*n, 1u);
  ASSERT_LE(*n, 3u);
  EXPECT_EQ(std::string_view(three, *n), std::string_view(data).substr(10, *n));
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, OffsetPastEndIsRangeInvalid) {
  std::string data = make_bytes(10, 3);
  oci::Digest digest = sha256_of(data);
  oci::Digest empty = sha256_of("");
  ASSERT_TRUE(is_ok(put_blob(store(), "range", data)));
  ASSERT_TRUE(is_ok(put_blob(store(), "range-empty", "")));
  EXPECT_TRUE(has_code(store().open(digest, 11), ErrorCode::kRangeInvalid));
  EXPECT_TRUE(has_code(store().open(digest, UINT64_MAX), ErrorCode::kRangeInvalid));
  EXPECT_TRUE(has_code(store().open(empty, 1), ErrorCode::kRangeInvalid));
  auto at_end = store().open(empty, 0);
  ASSERT_TRUE(is_ok(at_end));
  auto rest = read_all(**at_end);
  ASSERT_TRUE(is_ok(rest));
  EXPECT_EQ(*rest, "");
  EXPECT_TRUE(is_ok(store().remove(digest)));
  EXPECT_TRUE(is_ok(store().remove(empty)));
}

TEST_P(BlobStoreConformance, MissingBlobIsBlobNotFound) {
  for (const oci::Digest& digest : {sha256_of("absent"), sha512_of("absent")}) {
    SCOPED_TRACE(digest.str());
    EXPECT_TRUE(has_code(store().stat(digest), ErrorCode::kBlobNotFound));
    EXPECT_TRUE(has_code(store().open(digest), ErrorCode::kBlobNotFound));
    EXPECT_TRUE(has_code(store().open(digest, 5), ErrorCode::kBlobNotFound));
    EXPECT_TRUE(has_code(store().remove(digest), ErrorCode::kBlobNotFound));
  }
}

TEST_P(BlobStoreConformance, ResumesInANewWriter) {
  std::string first = make_bytes(kChunk + 17, 11);
  std::string second = make_bytes(3 * kChunk + 5, 12);
  {
    auto writer = store().begin_upload("resume");
    ASSERT_TRUE(is_ok(writer));
    ASSERT_TRUE(is_ok(append_all(**writer, first)));
    ASSERT_TRUE(is_ok((*writer)->save_state()));
  }  // the writer is dropped, as when a request (or process) ends
  auto info = store().stat_upload("resume");
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(info->id, "resume");
  EXPECT_EQ(info->size, first.size());

  auto writer = store().resume_upload("resume");
  ASSERT_TRUE(is_ok(writer));
  EXPECT_EQ((*writer)->upload_id(), "resume");
  EXPECT_EQ((*writer)->size(), first.size());
  ASSERT_TRUE(is_ok(append_all(**writer, second)));
  std::string whole = first + second;
  auto committed = (*writer)->commit(sha256_of(whole));
  ASSERT_TRUE(is_ok(committed));
  EXPECT_EQ(committed->size, whole.size());
  auto bytes = read_blob(store(), sha256_of(whole));
  ASSERT_TRUE(is_ok(bytes));
  EXPECT_TRUE(*bytes == whole);
  EXPECT_TRUE(has_code(store().stat_upload("resume"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(is_ok(store().remove(sha256_of(whole))));
}

TEST_P(BlobStoreConformance, ResumeDropsAppendsAfterTheLastSave) {
  std::string saved = make_bytes(5000, 21);
  std::string lost = make_bytes(7000, 22);
  std::string after = make_bytes(3000, 23);
  {
    auto writer = store().begin_upload("unsaved");
    ASSERT_TRUE(is_ok(writer));
    ASSERT_TRUE(is_ok(append_all(**writer, saved)));
    ASSERT_TRUE(is_ok((*writer)->save_state()));
    ASSERT_TRUE(is_ok(append_all(**writer, lost)));
  }
  auto writer = store().resume_upload("unsaved");
  ASSERT_TRUE(is_ok(writer));
  EXPECT_EQ((*writer)->size(), saved.size());
  ASSERT_TRUE(is_ok(append_all(**writer, after)));
  std::string whole = saved + after;
  ASSERT_TRUE(is_ok((*writer)->commit(sha256_of(whole))));
  auto bytes = read_blob(store(), sha256_of(whole));
  ASSERT_TRUE(is_ok(bytes));
  EXPECT_TRUE(*bytes == whole);
  EXPECT_TRUE(is_ok(store().remove(sha256_of(whole))));
}

TEST_P(BlobStoreConformance, ResumeOfMissingUploadIsUploadNotFound) {
  EXPECT_TRUE(has_code(store().resume_upload("never-begun"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().stat_upload("never-begun"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().abort_upload("never-begun"), ErrorCode::kUploadNotFound));
}

TEST_P(BlobStoreConformance, BeginWithAnIdInUseIsAlreadyExists) {
  auto writer = store().begin_upload("taken");
  ASSERT_TRUE(is_ok(writer));
  EXPECT_TRUE(has_code(store().begin_upload("taken"), ErrorCode::kAlreadyExists));
  EXPECT_TRUE(is_ok(store().abort_upload("taken")));
}

TEST_P(BlobStoreConformance, StatUploadReportsTheSavedSize) {
  auto before = std::chrono::system_clock::now();
  auto writer = store().begin_upload("stat-me");
  auto after = std::chrono::system_clock::now();
  ASSERT_TRUE(is_ok(writer));
  auto info = store().stat_upload("stat-me");
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(info->size, 0u);
  EXPECT_GE(info->started_at, before - std::chrono::seconds(1));
  EXPECT_LE(info->started_at, after + std::chrono::seconds(1));
  ASSERT_TRUE(is_ok(append_all(**writer, make_bytes(10, 1))));
  ASSERT_TRUE(is_ok((*writer)->save_state()));
  info = store().stat_upload("stat-me");
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(info->size, 10u);
  EXPECT_TRUE(is_ok(store().abort_upload("stat-me")));
}

TEST_P(BlobStoreConformance, WrongDigestIsMismatchAndLeavesNothing) {
  std::string data = make_bytes(20'000, 31);
  oci::Digest wrong = sha256_of("something else");
  auto writer = store().begin_upload("mismatch");
  ASSERT_TRUE(is_ok(writer));
  ASSERT_TRUE(is_ok(append_all(**writer, data)));
  ASSERT_TRUE(is_ok((*writer)->save_state()));
  EXPECT_TRUE(has_code((*writer)->commit(wrong), ErrorCode::kDigestMismatch));
  EXPECT_TRUE(has_code(store().stat(wrong), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(has_code(store().stat(sha256_of(data)), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(has_code(store().stat_upload("mismatch"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().resume_upload("mismatch"), ErrorCode::kUploadNotFound));
  // The writer is spent: a retry with the right digest cannot sneak in.
  EXPECT_TRUE(has_code((*writer)->commit(sha256_of(data)), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().stat(sha256_of(data)), ErrorCode::kBlobNotFound));

  // Same for a digest of the other algorithm.
  auto writer512 = store().begin_upload("mismatch-512");
  ASSERT_TRUE(is_ok(writer512));
  ASSERT_TRUE(is_ok(append_all(**writer512, data)));
  EXPECT_TRUE(has_code((*writer512)->commit(sha512_of("other")), ErrorCode::kDigestMismatch));
  EXPECT_TRUE(has_code(store().stat_upload("mismatch-512"), ErrorCode::kUploadNotFound));
}

TEST_P(BlobStoreConformance, SecondCommitOfOneDigestIsANoOp) {
  std::string data = make_bytes(70'000, 41);
  oci::Digest digest = sha256_of(data);
  auto first = put_blob(store(), "twice-1", data);
  ASSERT_TRUE(is_ok(first));
  auto second = put_blob(store(), "twice-2", data);
  ASSERT_TRUE(is_ok(second));
  EXPECT_EQ(second->digest, digest);
  EXPECT_EQ(second->size, data.size());
  auto bytes = read_blob(store(), digest);
  ASSERT_TRUE(is_ok(bytes));
  EXPECT_TRUE(*bytes == data);
  EXPECT_EQ(list_blobs(store()).size(), 1u);
  EXPECT_TRUE(list_uploads(store()).empty());
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, AbandonedUploadNeverBecomesVisible) {
  std::string data = make_bytes(30'000, 51);
  oci::Digest digest = sha256_of(data);
  auto writer = store().begin_upload("abandoned");
  ASSERT_TRUE(is_ok(writer));
  ASSERT_TRUE(is_ok(append_all(**writer, data)));
  ASSERT_TRUE(is_ok((*writer)->save_state()));
  ASSERT_TRUE(is_ok(store().abort_upload("abandoned")));
  EXPECT_TRUE(has_code(store().stat_upload("abandoned"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().resume_upload("abandoned"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().abort_upload("abandoned"), ErrorCode::kUploadNotFound));
  // A writer still held when its upload was aborted cannot publish it.
  EXPECT_TRUE(has_code((*writer)->commit(digest), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().stat(digest), ErrorCode::kBlobNotFound));
}

TEST_P(BlobStoreConformance, SpentWriterRejectsFurtherCalls) {
  std::string data = make_bytes(100, 61);
  auto writer = store().begin_upload("spent");
  ASSERT_TRUE(is_ok(writer));
  ASSERT_TRUE(is_ok(append_all(**writer, data)));
  ASSERT_TRUE(is_ok((*writer)->commit(sha256_of(data))));
  EXPECT_TRUE(has_code((*writer)->append(std::span<const char>("x", 1)), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code((*writer)->save_state(), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code((*writer)->current_digest(oci::DigestAlgorithm::kSha256),
                       ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code((*writer)->commit(sha256_of(data)), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(is_ok(store().remove(sha256_of(data))));
}

TEST_P(BlobStoreConformance, RemoveAndRemoveMissing) {
  std::string data = make_bytes(1234, 71);
  oci::Digest digest = sha256_of(data);
  ASSERT_TRUE(is_ok(put_blob(store(), "remove", data)));
  ASSERT_TRUE(is_ok(store().remove(digest)));
  EXPECT_TRUE(has_code(store().stat(digest), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(has_code(store().open(digest), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(has_code(store().remove(digest), ErrorCode::kBlobNotFound));
  // A removed digest can be pushed again.
  ASSERT_TRUE(is_ok(put_blob(store(), "remove-again", data)));
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, WalkListsCommittedBlobsAndWalkUploadsListsUploads) {
  std::string a = make_bytes(0, 81), b = make_bytes(10, 82), c = make_bytes(70'000, 83);
  ASSERT_TRUE(is_ok(put_blob(store(), "walk-a", a)));
  ASSERT_TRUE(is_ok(put_blob(store(), "walk-b", b)));
  ASSERT_TRUE(is_ok(put_blob(store(), "walk-c", c, sha512_of(c))));
  auto pending = store().begin_upload("walk-pending");
  ASSERT_TRUE(is_ok(pending));
  ASSERT_TRUE(is_ok(append_all(**pending, make_bytes(5, 84))));
  ASSERT_TRUE(is_ok((*pending)->save_state()));

  std::map<oci::Digest, std::uint64_t> expected = {
      {sha256_of(a), a.size()}, {sha256_of(b), b.size()}, {sha512_of(c), c.size()}};
  std::map<oci::Digest, std::uint64_t> seen;
  const std::int64_t now = now_ms();
  for (const BlobInfo& info : list_blobs(store())) {
    EXPECT_TRUE(seen.emplace(info.digest, info.size).second) << "listed twice: " << info.digest.str();
    // A collector's grace period runs from this: it must be the commit's
    // time (within a day either way, to allow for clock granularity).
    EXPECT_GT(info.modified_at_ms, now - 86'400'000) << info.digest.str();
    EXPECT_LT(info.modified_at_ms, now + 86'400'000) << info.digest.str();
  }
  EXPECT_EQ(seen, expected);

  auto uploads = list_uploads(store());
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].id, "walk-pending");
  EXPECT_EQ(uploads[0].size, 5u);

  EXPECT_TRUE(is_ok(store().abort_upload("walk-pending")));
  for (const auto& [digest, size] : expected) EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, WalksStopAtTheFirstVisitorError) {
  ASSERT_TRUE(is_ok(put_blob(store(), "stop-1", "one")));
  ASSERT_TRUE(is_ok(put_blob(store(), "stop-2", "two")));
  ASSERT_TRUE(is_ok(store().begin_upload("stop-up-1")));
  ASSERT_TRUE(is_ok(store().begin_upload("stop-up-2")));
  int visits = 0;
  auto walked = store().walk([&](const BlobInfo&) -> Status {
    ++visits;
    return fail(ErrorCode::kLimitExceeded, "stop here");
  });
  EXPECT_TRUE(has_code(walked, ErrorCode::kLimitExceeded));
  EXPECT_EQ(visits, 1);
  visits = 0;
  auto walked_uploads = store().walk_uploads([&](const UploadInfo&) -> Status {
    ++visits;
    return fail(ErrorCode::kLimitExceeded, "stop here");
  });
  EXPECT_TRUE(has_code(walked_uploads, ErrorCode::kLimitExceeded));
  EXPECT_EQ(visits, 1);
  EXPECT_TRUE(is_ok(store().remove(sha256_of("one"))));
  EXPECT_TRUE(is_ok(store().remove(sha256_of("two"))));
  EXPECT_TRUE(is_ok(store().abort_upload("stop-up-1")));
  EXPECT_TRUE(is_ok(store().abort_upload("stop-up-2")));
}

TEST_P(BlobStoreConformance, WalkVisitorMayRemoveBlobs) {
  // This is how GC sweeps: remove from inside the walk.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(is_ok(put_blob(store(), "sweep-" + std::to_string(i), make_bytes(i, 90 + i))));
  }
  int visits = 0;
  auto walked = store().walk([&](const BlobInfo& info) -> Status {
    ++visits;
    return store().remove(info.digest);
  });
  EXPECT_TRUE(is_ok(walked));
  EXPECT_EQ(visits, 20);
}

TEST_P(BlobStoreConformance, ConcurrentReaders) {
  std::string data = make_bytes(1024 * 1024 + 3, 101);
  oci::Digest digest = sha256_of(data);
  ASSERT_TRUE(is_ok(put_blob(store(), "readers", data)));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 4; ++round) {
        std::uint64_t offset = (static_cast<std::uint64_t>(t) * 131'071 + round * 4099) % data.size();
        auto bytes = read_blob(store(), digest, offset);
        if (!bytes || *bytes != std::string_view(data).substr(offset)) ++bad;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, ConcurrentWritersOfOneDigest) {
  constexpr int kWriters = 8;
  std::string data = make_bytes(4 * kChunk + 1, 111);
  oci::Digest digest = sha256_of(data);
  std::latch start(kWriters);
  std::vector<Result<BlobInfo>> results(kWriters, fail(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      auto writer = store().begin_upload("writer-" + std::to_string(t));
      start.arrive_and_wait();  // maximise overlap of the commits
      if (!writer) {
        results[t] = std::unexpected(writer.error());
        return;
      }
      if (auto appended = append_all(**writer, data, kChunk); !appended) {
        results[t] = std::unexpected(appended.error());
        return;
      }
      results[t] = (*writer)->commit(digest);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kWriters; ++t) EXPECT_TRUE(is_ok(results[t])) << "writer " << t;
  auto stat = store().stat(digest);
  ASSERT_TRUE(is_ok(stat));
  EXPECT_EQ(stat->size, data.size());
  auto bytes = read_blob(store(), digest);
  ASSERT_TRUE(is_ok(bytes));
  EXPECT_TRUE(*bytes == data);
  EXPECT_EQ(list_blobs(store()).size(), 1u);
  EXPECT_TRUE(list_uploads(store()).empty());
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, ReadersNeverSeePartialContent) {
  std::string data = make_bytes(2 * 1024 * 1024, 121);
  oci::Digest digest = sha256_of(data);
  std::atomic<bool> committed{false};
  std::atomic<int> partial{0};
  std::atomic<int> full_reads{0};
  std::thread reader([&] {
    // Poll until the commit is seen and one full read succeeds after it.
    for (;;) {
      bool done = committed.load();
      if (auto stat = store().stat(digest); stat && stat->size != data.size()) ++partial;
      if (auto bytes = read_blob(store(), digest)) {
        if (*bytes != data) ++partial;
        ++full_reads;
        if (done) return;
      } else if (bytes.error().code != ErrorCode::kBlobNotFound) {
        ++partial;
      }
      if (done) return;  // committed but not visible: caught below
    }
  });
  // No ASSERT before join(): leaving a joinable thread would terminate.
  auto writer = store().begin_upload("partial");
  Status written = writer ? append_all(**writer, data, 4096) : Status(std::unexpected(writer.error()));
  Result<BlobInfo> info = written ? (*writer)->commit(digest) : std::unexpected(written.error());
  committed = true;
  reader.join();
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(partial.load(), 0);
  EXPECT_GE(full_reads.load(), 1) << "the committed blob was not visible to the reader";
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, Sha512DigestsCommit) {
  std::string data = make_bytes(3 * kChunk + 11, 131);
  oci::Digest digest = sha512_of(data);
  auto writer = store().begin_upload("sha512");
  ASSERT_TRUE(is_ok(writer));
  ASSERT_TRUE(is_ok(append_all(**writer, data.substr(0, kChunk))));
  ASSERT_TRUE(is_ok((*writer)->save_state()));
  writer->reset();
  writer = store().resume_upload("sha512");  // the SHA-512 must survive a resume too
  ASSERT_TRUE(is_ok(writer));
  ASSERT_TRUE(is_ok(append_all(**writer, data.substr(kChunk))));
  auto current = (*writer)->current_digest(oci::DigestAlgorithm::kSha512);
  ASSERT_TRUE(is_ok(current));
  EXPECT_EQ(*current, digest);
  auto info = (*writer)->commit(digest);
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(info->digest, digest);
  auto stat = store().stat(digest);
  ASSERT_TRUE(is_ok(stat));
  EXPECT_EQ(stat->size, data.size());
  EXPECT_TRUE(has_code(store().stat(sha256_of(data)), ErrorCode::kBlobNotFound));
  auto bytes = read_blob(store(), digest);
  ASSERT_TRUE(is_ok(bytes));
  EXPECT_TRUE(*bytes == data);
  ASSERT_TRUE(is_ok(put_blob(store(), "sha512-again", data, digest)));
  EXPECT_TRUE(is_ok(store().remove(digest)));
}

TEST_P(BlobStoreConformance, CurrentDigestOfAnEmptyUpload) {
  auto writer = store().begin_upload("empty");
  ASSERT_TRUE(is_ok(writer));
  auto d256 = (*writer)->current_digest(oci::DigestAlgorithm::kSha256);
  ASSERT_TRUE(is_ok(d256));
  EXPECT_EQ(d256->str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto d512 = (*writer)->current_digest(oci::DigestAlgorithm::kSha512);
  ASSERT_TRUE(is_ok(d512));
  EXPECT_EQ(*d512, sha512_of(""));
  EXPECT_TRUE(is_ok(store().abort_upload("empty")));
}

TEST_P(BlobStoreConformance, RedirectUrlWhenSupported) {
  std::string data = make_bytes(100, 141);
  oci::Digest digest = sha256_of(data);
  ASSERT_TRUE(is_ok(put_blob(store(), "redirect", data)));
  auto url = store().redirect_url(digest, std::chrono::seconds(60));
  EXPECT_TRUE(is_ok(store().remove(digest)));
  ASSERT_TRUE(is_ok(url));
  if (!url->has_value()) GTEST_SKIP() << GetParam().name << " serves no redirects";
  EXPECT_FALSE((*url)->empty());
}

}  // namespace berth::conformance
