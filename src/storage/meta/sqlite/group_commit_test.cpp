#include "storage/meta/sqlite/group_commit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "conformance/meta_store_suite.hpp"

namespace berth::storage::meta::sqlite {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = conformance::make_meta_temp_dir("berth-group-commit-test");
    auto conn = Connection::open(dir_ / "g.db", ConnectionOptions{});
    ASSERT_TRUE(conn.has_value()) << conn.error().message;
    writer_ = std::move(*conn);
    ASSERT_TRUE(writer_->exec("CREATE TABLE t (k INTEGER PRIMARY KEY)").has_value());
  }
  void TearDown() override {
    writer_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static Status insert(Connection& c, int k) {
    auto stmt = BERTH_TRY(c.prepare("INSERT INTO t (k) VALUES (?1)"));
    stmt.bind(1, static_cast<std::int64_t>(k));
    return stmt.run();
  }

  bool stored(int k) {
    auto conn = Connection::open(dir_ / "g.db", ConnectionOptions{});
    auto stmt = (*conn)->prepare("SELECT 1 FROM t WHERE k = ?1");
    stmt->bind(1, static_cast<std::int64_t>(k));
    return stmt->step().value_or(false);
  }

  // Writer 0 inserts key 0 and holds the writer connection while writers
  // 1..n-1 queue behind it, each running member(c, i); returns all results.
  static std::vector<Status> run_queued(GroupCommitter& committer, int writers,
                                        const std::function<Status(Connection&, int)>& member) {
    std::latch queued(writers - 1);
    std::vector<Status> results(writers, ok());
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
      results[0] = committer.run([&](Connection& c) -> Status {
        queued.wait();
        // The others are inside run() or about to be; give them time to queue.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return insert(c, 0);
      });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (int i = 1; i < writers; ++i) {
      threads.emplace_back([&, i] {
        queued.count_down();
        results[i] = committer.run([&, i](Connection& c) { return member(c, i); });
      });
    }
    for (auto& t : threads) t.join();
    return results;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Connection> writer_;
};

TEST_F(GroupCommitTest, ALoneWriterCommitsItsChange) {
  GroupCommitter committer(*writer_, 8, "FULL");
  ASSERT_TRUE(committer.run([](Connection& c) { return insert(c, 1); }).has_value());
  EXPECT_TRUE(stored(1));
  auto failed = committer.run([](Connection& c) -> Status {
    BERTH_TRY_STATUS(insert(c, 2));
    return fail(ErrorCode::kTagImmutable, "refused after writing");
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kTagImmutable);
  EXPECT_FALSE(stored(2));
  EXPECT_EQ(committer.transactions(), 2u);
}

// While the first writer's body holds the writer, the others queue; they
// then share one transaction, and the one that fails loses only its change.
TEST_F(GroupCommitTest, QueuedWritersShareOneTransactionAndFailAlone) {
  GroupCommitter committer(*writer_, 64, "FULL");
  constexpr int kWriters = 12;
  auto results = run_queued(committer, kWriters, [](Connection& c, int i) -> Status {
    BERTH_TRY_STATUS(insert(c, i));
    if (i == 5) return fail(ErrorCode::kManifestNotFound, "member 5 fails after writing");
    return ok();
  });
  for (int i = 0; i < kWriters; ++i) {
    if (i == 5) {
      ASSERT_FALSE(results[i].has_value());
      EXPECT_EQ(results[i].error().code, ErrorCode::kManifestNotFound);
      EXPECT_FALSE(stored(i));
    } else {
      EXPECT_TRUE(results[i].has_value()) << i << ": " << results[i].error().message;
      EXPECT_TRUE(stored(i)) << i;
    }
  }
  // One for the first writer, then (nearly always) one for the rest.
  EXPECT_LT(committer.transactions(), static_cast<std::uint64_t>(kWriters));
}

// The observer sees every batch once, with the writes it carried: the sizes
// add up to the writers, and the queued ones show as a batch of several.
TEST_F(GroupCommitTest, TheObserverIsToldEachBatchsSize) {
  std::mutex mu;
  std::vector<std::size_t> sizes;
  GroupCommitter committer(*writer_, 64, "FULL", [&](std::size_t writes) {
    std::lock_guard lock(mu);
    sizes.push_back(writes);
  });
  ASSERT_TRUE(committer.run([](Connection& c) { return insert(c, 100); }).has_value());
  EXPECT_EQ(sizes, std::vector<std::size_t>{1});
  sizes.clear();
  constexpr int kWriters = 12;
  auto results = run_queued(committer, kWriters, [](Connection& c, int i) -> Status {
    // A failing member is still one of the batch's writes.
    if (i == 3) return fail(ErrorCode::kManifestNotFound, "member 3 fails");
    return insert(c, i);
  });
  std::lock_guard lock(mu);
  std::size_t total = 0;
  for (std::size_t size : sizes) total += size;
  EXPECT_EQ(total, static_cast<std::size_t>(kWriters));
  EXPECT_EQ(sizes.size(), committer.transactions() - 1);
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.front(), 1u);  // writer 0, alone while the others queued
  EXPECT_GT(*std::max_element(sizes.begin(), sizes.end()), 1u);
}

TEST_F(GroupCommitTest, LazyBatchesSkipTheSyncAndCheckpointsUntilTheNextDurableOne) {
  GroupCommitter committer(*writer_, 8, "FULL");
  auto synchronous = [&] { return writer_->query_int64("PRAGMA synchronous").value_or(-1); };
  auto autocheckpoint = [&] {
    return writer_->query_int64("PRAGMA wal_autocheckpoint").value_or(-1);
  };
  EXPECT_EQ(synchronous(), 2);  // FULL
  ASSERT_TRUE(committer
                  .run([](Connection& c) { return insert(c, 1); },
                       GroupCommitter::Durability::kLazy)
                  .has_value());
  EXPECT_TRUE(stored(1));  // committed, only not synced
  EXPECT_EQ(synchronous(), 0);
  EXPECT_EQ(autocheckpoint(), 0);
  ASSERT_TRUE(committer.run([](Connection& c) { return insert(c, 2); }).has_value());
  EXPECT_TRUE(stored(2));
  EXPECT_EQ(synchronous(), 2);
  EXPECT_EQ(autocheckpoint(), 1000);
}

TEST_F(GroupCommitTest, WhenTheTransactionIsLostEveryMemberOfTheBatchFails) {
  GroupCommitter committer(*writer_, 64, "FULL");
  constexpr int kWriters = 6;
  auto results = run_queued(committer, kWriters, [](Connection& c, int i) -> Status {
    BERTH_TRY_STATUS(insert(c, i));
    // What SQLite does on its own after SQLITE_FULL or SQLITE_IOERR.
    if (i == 3) (void)c.exec("ROLLBACK");
    return ok();
  });
  EXPECT_TRUE(results[0].has_value());
  EXPECT_TRUE(stored(0));
  // Whoever shared member 3's transaction lost its change and was told so;
  // anyone who ran in a later batch kept it.
  int lost = 0;
  for (int i = 1; i < kWriters; ++i) {
    EXPECT_EQ(results[i].has_value(), stored(i)) << i;
    if (!results[i]) ++lost;
  }
  EXPECT_FALSE(results[3].has_value());
  EXPECT_GE(lost, 1);
  // The writer connection is usable afterwards.
  EXPECT_TRUE(committer.run([](Connection& c) { return insert(c, 100); }).has_value());
  EXPECT_TRUE(stored(100));
}

}  // namespace
}  // namespace berth::storage::meta::sqlite
