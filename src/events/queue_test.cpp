// DeliveryQueue durability: what is synced, in which order, and what a
// failed sync leaves behind. The syncs are observed through the queue's
// SyncPath seam; that fsync itself reaches the disk is the kernel's part.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/queue.hpp"

namespace berth::events {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("berth-queue-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// One sync as the queue asked for it, and whether the event's final file
// existed at that moment.
struct SyncCall {
  fs::path path;
  bool final_file_existed = false;
};

std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
  return out;
}

TEST(DeliveryQueueDurability, APushSyncsItsBodyThenItsNameBeforeReturning) {
  TempDir dir;
  const fs::path queue_dir = dir.path() / "ci";
  const fs::path first_event = queue_dir / "0000000000000001.json";
  std::vector<SyncCall> calls;
  auto queue = DeliveryQueue::open(queue_dir, 10, [&](const fs::path& path) -> Status {
    calls.push_back({path, fs::exists(first_event)});
    return ok();
  });
  ASSERT_TRUE(queue.has_value());
  calls.clear();  // the directory's creation is the next test's

  ASSERT_TRUE((*queue)->push("body").has_value());
  ASSERT_EQ(calls.size(), 2u);
  // The temporary file's data, while the final name does not exist yet...
  EXPECT_EQ(calls[0].path, queue_dir / ".tmp-0000000000000001.json");
  EXPECT_FALSE(calls[0].final_file_existed);
  // ...then the directory holding the renamed entry.
  EXPECT_EQ(calls[1].path, queue_dir);
  EXPECT_TRUE(calls[1].final_file_existed);
}

TEST(DeliveryQueueDurability, OpeningSyncsTheParentOfEveryDirectoryItMakes) {
  TempDir dir;
  std::vector<fs::path> synced;
  auto record = [&](const fs::path& path) -> Status {
    synced.push_back(path);
    return ok();
  };
  ASSERT_TRUE(DeliveryQueue::open(dir.path() / "events" / "ci", 10, record).has_value());
  EXPECT_EQ(synced, (std::vector<fs::path>{dir.path() / "events", dir.path()}));
  synced.clear();
  // Reopening makes nothing and syncs nothing.
  ASSERT_TRUE(DeliveryQueue::open(dir.path() / "events" / "ci", 10, record).has_value());
  EXPECT_TRUE(synced.empty());
}

TEST(DeliveryQueueDurability, APushWhoseSyncFailsQueuesNothing) {
  for (const bool fail_directory : {false, true}) {
    SCOPED_TRACE(fail_directory ? "directory sync fails" : "file sync fails");
    TempDir dir;
    bool failing = false;
    auto queue = DeliveryQueue::open(dir.path(), 10, [&](const fs::path& path) -> Status {
      const bool is_directory = path == dir.path();
      if (failing && is_directory == fail_directory) {
        return fail(ErrorCode::kUnavailable, "injected sync failure");
      }
      return ok();
    });
    ASSERT_TRUE(queue.has_value());
    failing = true;
    auto pushed = (*queue)->push("lost");
    ASSERT_FALSE(pushed.has_value());
    EXPECT_EQ(pushed.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ((*queue)->size(), 0u);
    EXPECT_FALSE((*queue)->front().has_value());
    // Nothing on disk that a restart would deliver, no temporary left.
    EXPECT_TRUE(event_files(dir.path()).empty());
    failing = false;
    ASSERT_TRUE((*queue)->push("kept").has_value());
    EXPECT_EQ((*queue)->front()->body, "kept");
  }
}

TEST(DeliveryQueueDurability, ConcurrentPushesAllLandInSequenceOrder) {
  TempDir dir;
  constexpr int kPushers = 8;
  constexpr int kEach = 10;
  auto queue = DeliveryQueue::open(dir.path(), kPushers * kEach);
  ASSERT_TRUE(queue.has_value());
  std::vector<std::thread> pushers;
  for (int p = 0; p < kPushers; ++p) {
    pushers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_TRUE((*queue)->push(std::to_string(p) + "/" + std::to_string(i)).has_value());
      }
    });
  }
  for (auto& pusher : pushers) pusher.join();
  ASSERT_EQ((*queue)->size(), static_cast<std::size_t>(kPushers * kEach));
  // The limit counts pushes still writing, so it holds under concurrency.
  EXPECT_EQ((*queue)->push("over").error().code, ErrorCode::kLimitExceeded);
  std::set<std::string> bodies;
  std::uint64_t last_seq = 0;
  while (auto entry = (*queue)->front()) {
    EXPECT_GT(entry->seq, last_seq);
    last_seq = entry->seq;
    bodies.insert(entry->body);
    ASSERT_TRUE((*queue)->pop(entry->seq).has_value());
  }
  EXPECT_EQ(bodies.size(), static_cast<std::size_t>(kPushers * kEach));
}

}  // namespace
}  // namespace berth::events
