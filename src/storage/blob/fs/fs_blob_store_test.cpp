// Filesystem-specific behaviour the shared suite cannot see: the on-disk
// layout, crash recovery of uploads, and stray files.
#include "storage/blob/fs/fs_blob_store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "conformance/blob_store_suite.hpp"
#include "crypto/hasher.hpp"
#include "storage/blob/layout.hpp"

namespace berth::storage::blob::fs {
namespace {

namespace stdfs = std::filesystem;

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

std::span<const char> as_span(std::string_view s) { return {s.data(), s.size()}; }

std::string read_file(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const stdfs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class FsBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = conformance::make_temp_dir("berth-fs-blob-test");
    auto store = open_fs_blob_store(root_);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    stdfs::remove_all(root_, ec);
  }

  // Begins `id`, appends `saved` and saves, then appends `unsaved` and drops
  // the writer without saving — what a crash mid-request leaves on disk.
  void crash_after(std::string_view id, std::string_view saved, std::string_view unsaved) {
    auto writer = store_->begin_upload(id);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->append(as_span(saved)).has_value());
    ASSERT_TRUE((*writer)->save_state().has_value());
    ASSERT_TRUE((*writer)->append(as_span(unsaved)).has_value());
  }

  stdfs::path root_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(FsBlobStoreTest, FilesLandInTheDocumentedLayout) {
  auto writer = store_->begin_upload("up-1");
  ASSERT_TRUE(writer.has_value());
  EXPECT_TRUE(stdfs::is_regular_file(root_ / "uploads/up-1/data"));
  EXPECT_TRUE(stdfs::is_regular_file(root_ / "uploads/up-1/startedat"));
  // The state file appears with the first save: an empty upload has none.
  EXPECT_FALSE(stdfs::exists(root_ / "uploads/up-1/state"));
  ASSERT_TRUE((*writer)->append(as_span("hello")).has_value());
  EXPECT_EQ(read_file(root_ / "uploads/up-1/data"), "hello");
  ASSERT_TRUE((*writer)->save_state().has_value());
  EXPECT_TRUE(stdfs::is_regular_file(root_ / "uploads/up-1/state"));

  oci::Digest digest = sha256_of("hello");
  ASSERT_TRUE((*writer)->commit(digest).has_value());
  std::string hex(digest.hex());
  stdfs::path blob = root_ / "blobs/sha256" / hex.substr(0, 2) / hex;
  EXPECT_EQ(read_file(blob), "hello");
  EXPECT_FALSE(stdfs::exists(root_ / "uploads/up-1"));
  EXPECT_EQ(Layout(stdfs::absolute(root_)).blob_path(digest), stdfs::absolute(blob));
}

TEST_F(FsBlobStoreTest, ResumeTruncatesDataWrittenAfterTheLastSave) {
  crash_after("crash", "saved-part", "lost-tail-bytes");
  stdfs::path data = root_ / "uploads/crash/data";
  EXPECT_EQ(stdfs::file_size(data), 25u);

  auto writer = store_->resume_upload("crash");
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ((*writer)->size(), 10u);
  EXPECT_EQ(stdfs::file_size(data), 10u);
  ASSERT_TRUE((*writer)->append(as_span("+more")).has_value());
  auto info = (*writer)->commit(sha256_of("saved-part+more"));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->size, 15u);
}

TEST_F(FsBlobStoreTest, MissingStateIsRecoveredByRehashing) {
  crash_after("nostate", "all of ", "this");
  stdfs::remove(root_ / "uploads/nostate/state");
  auto stat = store_->stat_upload("nostate");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->size, 11u);  // with no state, the data file is the truth

  auto writer = store_->resume_upload("nostate");
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ((*writer)->size(), 11u);
  ASSERT_TRUE((*writer)->append(as_span(" data")).has_value());
  ASSERT_TRUE((*writer)->commit(sha256_of("all of this data")).has_value());
}

TEST_F(FsBlobStoreTest, CorruptStateIsRecoveredByRehashing) {
  crash_after("torn", "abc", "def");
  stdfs::path state = root_ / "uploads/torn/state";
  std::string bytes = read_file(state);
  ASSERT_FALSE(bytes.empty());
  bytes[bytes.size() / 2] ^= 0x5a;  // a torn or bit-flipped state file
  write_file(state, bytes);

  auto writer = store_->resume_upload("torn");
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ((*writer)->size(), 6u);
  ASSERT_TRUE((*writer)->commit(sha256_of("abcdef")).has_value());
}

TEST_F(FsBlobStoreTest, TraversingIdsAreRejectedAndTouchNothing) {
  for (std::string_view id : {"../x", "..", "../../etc/passwd", "a/../../b", "/tmp/x"}) {
    auto begun = store_->begin_upload(id);
    ASSERT_FALSE(begun.has_value()) << id;
    EXPECT_EQ(begun.error().code, ErrorCode::kUploadNotFound);
    auto aborted = store_->abort_upload(id);
    ASSERT_FALSE(aborted.has_value());
    EXPECT_EQ(aborted.error().code, ErrorCode::kUploadNotFound);
  }
  EXPECT_FALSE(stdfs::exists(root_.parent_path() / "x"));
  EXPECT_TRUE(stdfs::is_empty(root_ / "uploads"));
}

TEST_F(FsBlobStoreTest, WalkIgnoresStrayFiles) {
  oci::Digest digest = sha256_of("real");
  auto writer = store_->begin_upload("real");
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->append(as_span("real")).has_value());
  ASSERT_TRUE((*writer)->commit(digest).has_value());

  std::string hex(digest.hex());
  stdfs::path shard = root_ / "blobs/sha256" / hex.substr(0, 2);
  write_file(shard / (hex + ".tmp"), "partial");
  write_file(shard / "tmp-123", "partial");
  write_file(root_ / "blobs/sha256/stray", "x");
  write_file(root_ / "blobs/sha256/ff", "a file where a shard belongs");
  stdfs::create_directories(root_ / "blobs/sha256/zz");
  write_file(root_ / "blobs/sha256/zz" / hex, "wrong shard");
  write_file(root_ / "uploads/not.an.id", "x");
  stdfs::create_directories(root_ / "uploads/also_not_an_id");

  std::vector<BlobInfo> blobs;
  auto walked = store_->walk([&](const BlobInfo& info) {
    blobs.push_back(info);
    return ok();
  });
  ASSERT_TRUE(walked.has_value()) << walked.error().message;
  ASSERT_EQ(blobs.size(), 1u);
  EXPECT_EQ(blobs[0].digest, digest);
  EXPECT_EQ(blobs[0].size, 4u);
  int uploads = 0;
  auto walked_uploads = store_->walk_uploads([&](const UploadInfo&) {
    ++uploads;
    return ok();
  });
  ASSERT_TRUE(walked_uploads.has_value()) << walked_uploads.error().message;
  EXPECT_EQ(uploads, 0);
}

TEST_F(FsBlobStoreTest, ReopenedStoreSeesBlobsAndUploads) {
  oci::Digest digest = sha256_of("kept");
  {
    auto writer = store_->begin_upload("kept");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->append(as_span("kept")).has_value());
    ASSERT_TRUE((*writer)->commit(digest).has_value());
  }
  crash_after("pending", "half", "");
  store_.reset();

  auto reopened = open_fs_blob_store(root_);
  ASSERT_TRUE(reopened.has_value());
  auto stat = (*reopened)->stat(digest);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->size, 4u);
  auto upload = (*reopened)->stat_upload("pending");
  ASSERT_TRUE(upload.has_value());
  EXPECT_EQ(upload->size, 4u);
}

TEST_F(FsBlobStoreTest, ReaderHandleIsTheBlobFile) {
  oci::Digest digest = sha256_of("sendfile me");
  auto writer = store_->begin_upload("fd");
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->append(as_span("sendfile me")).has_value());
  ASSERT_TRUE((*writer)->commit(digest).has_value());
  auto reader = store_->open(digest, 3);
  ASSERT_TRUE(reader.has_value());
  int fd = (*reader)->native_handle();
  ASSERT_GE(fd, 0);
  char buf[11];
  ASSERT_EQ(::pread(fd, buf, sizeof buf, 0), 11);
  EXPECT_EQ(std::string_view(buf, 11), "sendfile me");
}

TEST_F(FsBlobStoreTest, RootThatIsAFileFailsToOpen) {
  write_file(root_ / "file", "x");
  auto store = open_fs_blob_store(root_ / "file");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace berth::storage::blob::fs
