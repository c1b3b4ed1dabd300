// MetaStoreConformance, continued: a store shared between processes, and
// transactions cut short.
//
// Each case here opens a second handle on the store (open_again(): for
// SQLite another connection set on the same file, for PostgreSQL another
// pool on the same database, exactly what a second berth process opens) and
// races the two. They pin down what ARCHITECTURE.md asks of every shared
// backend: tag moves and put_manifest of one tag leave one consistent
// winner, exactly one request holds an upload lease, settings changes are
// never lost, the store lock excludes repair from serving across handles,
// a read-then-write in one commit is not undone by another handle's write
// in between, a blob the collector claims is never linked or referenced
// again meanwhile, and an interrupted transaction leaves no partial rows.
// A backend private to its process (memory) skips them.
//
// Thread-safety: GoogleTest fixtures; the cases start threads.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "conformance/meta_store_suite.hpp"
#include "oci/media_types.hpp"
#include "util/time.hpp"

namespace berth::conformance {

void link_meta_store_shared_suite() {}

namespace {

using oci::Digest;
using storage::meta::ManifestRecord;
using storage::meta::ManifestReference;
using storage::meta::MetaStore;
using storage::meta::PutManifestOptions;
using storage::meta::ReferenceKind;
using storage::meta::RepositoryId;
using storage::meta::StoreLockMode;
using storage::meta::UploadRecord;

constexpr std::string_view kRegistry = "default";
constexpr std::int64_t kNow = 1'700'000'000'000;

Digest mdigest(std::uint64_t n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064llx", static_cast<unsigned long long>(0xd0000000 + n));
  return Digest::from_hex(oci::DigestAlgorithm::kSha256, hex);
}

Digest bdigest(std::uint64_t n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064llx", static_cast<unsigned long long>(0xb0000000 + n));
  return Digest::from_hex(oci::DigestAlgorithm::kSha256, hex);
}

ManifestRecord image(std::uint64_t n) {
  ManifestRecord m;
  m.digest = mdigest(n);
  m.media_type = oci::media_types::kOciManifest;
  m.config_media_type = oci::media_types::kOciConfig;
  m.content = "{\"image\":" + std::to_string(n) + "}";
  m.size = m.content.size();
  m.image_size = m.size;
  m.pushed_at_ms = kNow;
  return m;
}

PutManifestOptions tagged(std::string tag, bool immutable = false) {
  PutManifestOptions options;
  options.tags = {{std::move(tag), immutable}};
  return options;
}

template <typename R>
::testing::AssertionResult is_ok(const R& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << to_string(result.error().code) << ": "
                                       << result.error().message << " [" << result.error().detail
                                       << "]";
}

// Starts `n` threads running body(i) together; joins them.
template <typename Body>
void race(int n, Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      body(i);
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
}

#define SECOND_STORE_OR_SKIP(var)                                                      \
  MetaStore* var = second_store();                                                     \
  if (var == nullptr) GTEST_SKIP() << GetParam().name << " is private to one process"; \
  ASSERT_FALSE(HasFailure())

}  // namespace

TEST_P(MetaStoreConformance, SecondHandleSeesEveryCommittedChange) {
  SECOND_STORE_OR_SKIP(other);
  auto repo = store().ensure_repository(kRegistry, "shared", kNow);
  ASSERT_TRUE(is_ok(repo));
  ASSERT_TRUE(is_ok(store().put_manifest(repo->id, image(1), {}, tagged("v1"))));
  auto seen = other->get_repository(kRegistry, "shared");
  ASSERT_TRUE(is_ok(seen));
  EXPECT_EQ(seen->id, repo->id);
  EXPECT_EQ(other->resolve_tag(repo->id, "v1").value_or(Digest{}), mdigest(1));
  ASSERT_TRUE(is_ok(other->put_manifest(repo->id, image(2), {}, tagged("v1"))));
  EXPECT_EQ(store().resolve_tag(repo->id, "v1").value_or(Digest{}), mdigest(2));
  auto by_tag = store().get_manifest_by_tag(repo->id, "v1");
  ASSERT_TRUE(is_ok(by_tag));
  EXPECT_EQ(by_tag->content, image(2).content);
  ASSERT_TRUE(is_ok(other->delete_repository(repo->id)));
  EXPECT_FALSE(store().get_repository(kRegistry, "shared").has_value());
}

TEST_P(MetaStoreConformance, OneOfManyRacingCreatorsLearnsItCreatedTheRepository) {
  SECOND_STORE_OR_SKIP(other);
  constexpr int kThreads = 6;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = "raced-" + std::to_string(round);
    std::atomic<int> created{0};
    std::atomic<int> failed{0};
    std::atomic<RepositoryId> first_id{0};
    std::atomic<int> ids_differ{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      MetaStore* handle = t % 2 == 0 ? &store() : other;
      threads.emplace_back([&, handle] {
        auto ensured = handle->find_or_create_repository(kRegistry, name, kNow);
        if (!ensured) {
          ++failed;
          return;
        }
        if (ensured->created) ++created;
        RepositoryId expected = 0;
        if (!first_id.compare_exchange_strong(expected, ensured->record.id) &&
            expected != ensured->record.id) {
          ++ids_differ;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failed.load(), 0) << name;
    EXPECT_EQ(created.load(), 1) << name;
    EXPECT_EQ(ids_differ.load(), 0) << name;
  }
}

TEST_P(MetaStoreConformance, TagMovesAcrossHandlesLeaveOneConsistentWinner) {
  SECOND_STORE_OR_SKIP(other);
  constexpr int kThreads = 6;
  constexpr int kRounds = 20;
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  ASSERT_TRUE(is_ok(repo));
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(is_ok(store().put_manifest(repo->id, image(t), {}, {})));
  }
  std::atomic<int> failures{0};
  race(kThreads, [&](int t) {
    MetaStore& mine = t % 2 == 0 ? store() : *other;
    for (int i = 0; i < kRounds; ++i) {
      // put_tag, and put_manifest of an existing manifest with the tag.
      Status moved = i % 2 == 0 ? mine.put_tag(repo->id, "race", mdigest(t), false)
                                : mine.put_manifest(repo->id, image(t), {}, tagged("race"));
      if (!moved) ++failures;
      if (!mine.resolve_tag(repo->id, "race")) ++failures;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  auto winner = store().resolve_tag(repo->id, "race");
  ASSERT_TRUE(is_ok(winner));
  EXPECT_EQ(other->resolve_tag(repo->id, "race").value_or(Digest{}), *winner);
  int holders = 0;
  for (int t = 0; t < kThreads; ++t) {
    auto tags = other->tags_of(repo->id, mdigest(t));
    ASSERT_TRUE(is_ok(tags));
    if (mdigest(t) == *winner) {
      EXPECT_EQ(*tags, std::vector<std::string>{"race"});
      ++holders;
    } else {
      EXPECT_TRUE(tags->empty()) << "stale tag on manifest " << t;
    }
  }
  EXPECT_EQ(holders, 1);
}

TEST_P(MetaStoreConformance, NewManifestsRacingForOneImmutableTagHaveOneWinner) {
  SECOND_STORE_OR_SKIP(other);
  constexpr int kRounds = 10;
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  ASSERT_TRUE(is_ok(repo));
  for (int round = 0; round < kRounds; ++round) {
    const std::string tag = "v" + std::to_string(round);
    std::atomic<int> won{0};
    std::atomic<int> refused{0};
    race(2, [&](int side) {
      MetaStore& mine = side == 0 ? store() : *other;
      Status put = mine.put_manifest(repo->id, image(100 * round + side), {}, tagged(tag, true));
      if (put) {
        ++won;
      } else if (put.error().code == ErrorCode::kTagImmutable) {
        ++refused;
      } else {
        ADD_FAILURE() << put.error().message;
      }
    });
    EXPECT_EQ(won.load(), 1) << tag;
    EXPECT_EQ(refused.load(), 1) << tag;
    auto pointed = other->resolve_tag(repo->id, tag);
    ASSERT_TRUE(is_ok(pointed));
    EXPECT_TRUE(*pointed == mdigest(100 * round) || *pointed == mdigest(100 * round + 1));
  }
}

TEST_P(MetaStoreConformance, ExactlyOneLeaseHolderAcrossHandles) {
  SECOND_STORE_OR_SKIP(other);
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  ASSERT_TRUE(is_ok(repo));
  for (int round = 0; round < 5; ++round) {
    const std::string id = "race-" + std::to_string(round);
    ASSERT_TRUE(is_ok(store().create_upload({id, repo->id, kNow})));
    std::atomic<int> winners{0};
    std::atomic<int> winner{-1};
    race(8, [&](int t) {
      MetaStore& mine = t % 2 == 0 ? store() : *other;
      auto lease = mine.acquire_upload_lease(id, "h" + std::to_string(t), kNow, 60000);
      if (lease) {
        ++winners;
        winner = t;
      } else {
        EXPECT_EQ(lease.error().code, ErrorCode::kRangeInvalid) << lease.error().message;
      }
    });
    ASSERT_EQ(winners.load(), 1) << id;
    // The other handle sees the holder, and takes it once it is given back.
    const std::string holder = "h" + std::to_string(winner.load());
    EXPECT_EQ(other->get_upload(id)->lease_holder, holder);
    MetaStore& holder_store = winner.load() % 2 == 0 ? store() : *other;
    ASSERT_TRUE(is_ok(holder_store.release_upload_lease(id, holder, 512)));
    auto next = (winner.load() % 2 == 0 ? *other : store())
                    .acquire_upload_lease(id, "next", kNow + 1, 60000);
    ASSERT_TRUE(is_ok(next));
    EXPECT_EQ(next->saved_size, 512u);
  }
}

TEST_P(MetaStoreConformance, SettingsChangesAcrossHandlesAreNeverLost) {
  SECOND_STORE_OR_SKIP(other);
  constexpr int kThreads = 4;
  constexpr int kEach = 15;
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  ASSERT_TRUE(is_ok(repo));
  const std::string registry = "999999999999:eu-west-1";  // no settings row yet
  race(kThreads, [&](int t) {
    MetaStore& mine = t % 2 == 0 ? store() : *other;
    const std::string marker = "t" + std::to_string(t) + ";";
    for (int i = 0; i < kEach; ++i) {
      EXPECT_TRUE(is_ok(mine.modify_repository_settings(
          repo->id, [&](const std::string& current) -> Result<std::string> {
            return current + marker;
          })));
      EXPECT_TRUE(is_ok(mine.modify_registry_settings(
          registry, [&](const std::string& current) -> Result<std::string> {
            return current + marker;
          })));
    }
  });
  auto repo_settings = other->get_repository(kRegistry, "r");
  ASSERT_TRUE(is_ok(repo_settings));
  auto registry_settings = store().get_registry_settings(registry);
  ASSERT_TRUE(is_ok(registry_settings));
  for (const std::string& text : {repo_settings->settings_json, *registry_settings}) {
    for (int t = 0; t < kThreads; ++t) {
      const std::string marker = "t" + std::to_string(t) + ";";
      int count = 0;
      for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
        ++count;
      }
      EXPECT_EQ(count, kEach) << marker << " in " << text;
    }
  }
}

TEST_P(MetaStoreConformance, StoreLockExcludesRepairFromServingAcrossHandles) {
  SECOND_STORE_OR_SKIP(other);
  auto serving = store().lock_store(StoreLockMode::kShared);
  ASSERT_TRUE(is_ok(serving));
  auto another_server = other->lock_store(StoreLockMode::kShared);
  ASSERT_TRUE(is_ok(another_server));
  auto repair = other->lock_store(StoreLockMode::kExclusive);
  ASSERT_FALSE(repair.has_value());
  EXPECT_EQ(repair.error().code, ErrorCode::kUnavailable);
  serving->reset();
  another_server->reset();
  auto alone = other->lock_store(StoreLockMode::kExclusive);
  ASSERT_TRUE(is_ok(alone));
  auto refused = store().lock_store(StoreLockMode::kShared);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  alone->reset();
  EXPECT_TRUE(is_ok(store().lock_store(StoreLockMode::kShared)));
}

// untag_image's shape (registry/repository_admin.cpp): read an image's tags,
// then delete the image if the tag being removed was its last. A tag added
// by another handle in between must not be deleted with it unseen: either
// the commit sees it (and keeps the image), or the other put_tag comes
// after the delete and fails.
TEST_P(MetaStoreConformance, OneCommitIsNotUndoneByAnotherHandlesWriteInBetween) {
  SECOND_STORE_OR_SKIP(other);
  constexpr int kRounds = 12;
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  ASSERT_TRUE(is_ok(repo));
  for (int round = 0; round < kRounds; ++round) {
    ManifestRecord m = image(500 + round);
    ASSERT_TRUE(is_ok(store().put_manifest(repo->id, m, {}, tagged("only"))));
    Status tagged_meanwhile;
    race(2, [&](int side) {
      if (side == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        tagged_meanwhile = other->put_tag(repo->id, "second", m.digest, false);
        return;
      }
      Status untagged = store().in_one_commit([&]() -> Status {
        auto tags = store().tags_of(repo->id, m.digest);
        if (!tags) return std::unexpected(tags.error());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (tags->size() > 1) return store().delete_tag(repo->id, "only");
        return store().delete_manifest(repo->id, m.digest);
      });
      EXPECT_TRUE(is_ok(untagged));
    });
    if (tagged_meanwhile) {
      EXPECT_EQ(other->resolve_tag(repo->id, "second").value_or(Digest{}), m.digest)
          << "round " << round << ": an acknowledged tag was deleted unseen";
    } else {
      EXPECT_EQ(tagged_meanwhile.error().code, ErrorCode::kManifestNotFound);
      EXPECT_FALSE(other->get_manifest(repo->id, m.digest).has_value());
    }
    (void)store().delete_tag(repo->id, "second");
    (void)store().delete_tag(repo->id, "only");
  }
}

// The collector on one handle claims a blob while the other links it again
// or pushes a manifest that references it. Whatever the order, a blob the
// claim tombstones (its bytes about to go) is neither linked nor referenced
// afterwards, and a manifest that was stored kept it alive.
TEST_P(MetaStoreConformance, AClaimNeverLosesABlobAnotherHandleLinksOrReferences) {
  SECOND_STORE_OR_SKIP(other);
  constexpr int kRounds = 16;
  const std::int64_t later = now_ms() + 60'000;
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  auto mount = store().ensure_repository(kRegistry, "m", kNow);
  ASSERT_TRUE(is_ok(repo));
  ASSERT_TRUE(is_ok(mount));
  int collected = 0;
  for (int round = 0; round < kRounds; ++round) {
    const Digest blob = bdigest(1000 + round);
    ASSERT_TRUE(is_ok(store().link_blob(repo->id, blob, 10, kNow)));
    Result<storage::meta::BlobVerdict> verdict = storage::meta::BlobVerdict::kKeep;
    Status written;
    race(2, [&](int side) {
      if (side == 0) {
        verdict = store().claim_blob(blob, later);
      } else if (round % 2 == 0) {
        written = other->put_manifest(repo->id, image(2000 + round),
                                      {{blob, ReferenceKind::kBlob, 10}}, {});
      } else {
        written = other->link_blob(mount->id, blob, 10, kNow);
      }
    });
    ASSERT_TRUE(is_ok(verdict));
    if (*verdict == storage::meta::BlobVerdict::kCollect) {
      ++collected;
      // A manifest that got in first would have kept it; a link that got in
      // first is dropped with the others (links alone do not keep a blob
      // past its grace period, and `later` is past it).
      if (round % 2 == 0) {
        EXPECT_FALSE(written.has_value()) << "round " << round << ": a manifest of a collected blob";
      }
      EXPECT_FALSE(other->blob_referenced(blob).value_or(true)) << "round " << round;
      EXPECT_FALSE(other->get_blob_link(repo->id, blob).has_value()) << "round " << round;
      EXPECT_FALSE(other->get_blob_link(mount->id, blob).has_value()) << "round " << round;
      ASSERT_TRUE(is_ok(store().finish_blob_collection(blob)));
    } else {
      EXPECT_TRUE(is_ok(written)) << "round " << round;
    }
  }
  // Both orders happen on a real race; neither is required.
  RecordProperty("collected_rounds", collected);
}

TEST_P(MetaStoreConformance, FailedCallsAndCommitsLeaveNoPartialRows) {
  auto repo = store().ensure_repository(kRegistry, "r", kNow);
  ASSERT_TRUE(is_ok(repo));
  ASSERT_TRUE(is_ok(store().put_manifest(repo->id, image(1), {}, tagged("fixed", true))));
  // A put that fails at its last step (the immutable tag, after the
  // manifest row was written) keeps nothing.
  Status refused = store().put_manifest(repo->id, image(2), {}, tagged("fixed", true));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kTagImmutable);
  EXPECT_FALSE(store().get_manifest(repo->id, mdigest(2)).has_value());
  EXPECT_EQ(store().count_manifests(repo->id).value_or(0), 1u);

  if (!GetParam().transactional) GTEST_SKIP() << GetParam().name << ": in_one_commit is not one transaction";
  // A commit whose work fails after many writes keeps none of them.
  Status interrupted = store().in_one_commit([&]() -> Status {
    auto made = store().ensure_repository(kRegistry, "half", kNow);
    if (!made) return std::unexpected(made.error());
    if (auto s = store().link_blob(made->id, bdigest(1), 10, kNow); !s) return s;
    if (auto s = store().put_manifest(made->id, image(3), {{bdigest(1), ReferenceKind::kBlob, 10}},
                                      tagged("v1"));
        !s) {
      return s;
    }
    if (auto s = store().put_tag(repo->id, "fixed-too", mdigest(1), false); !s) return s;
    if (auto s = store().create_upload({"half-upload", made->id, kNow}); !s) return s;
    auto changed = store().modify_repository_settings(
        repo->id, [](const std::string&) -> Result<std::string> { return std::string("{\"x\":1}"); });
    if (!changed) return std::unexpected(changed.error());
    return fail(ErrorCode::kInternal, "interrupted on purpose");
  });
  ASSERT_FALSE(interrupted.has_value());
  EXPECT_EQ(interrupted.error().message, "interrupted on purpose");
  for (MetaStore* s : {&store(), second_store()}) {
    if (s == nullptr) continue;
    EXPECT_FALSE(s->get_repository(kRegistry, "half").has_value());
    EXPECT_FALSE(s->resolve_tag(repo->id, "fixed-too").has_value());
    EXPECT_FALSE(s->get_upload("half-upload").has_value());
    EXPECT_EQ(s->get_repository(kRegistry, "r")->settings_json, "{}");
    EXPECT_EQ(s->list_repositories(kRegistry, "", 10).value_or(std::vector<std::string>{}),
              std::vector<std::string>{"r"});
    std::vector<Digest> referenced;
    EXPECT_TRUE(is_ok(s->walk_referenced_blobs([&](const Digest& d) -> Status {
      referenced.push_back(d);
      return ok();
    })));
    EXPECT_TRUE(referenced.empty());
  }
}

}  // namespace berth::conformance
