// The store checker and repair over a filesystem blob store (so bytes can
// rot on disk) and the memory metadata store, populated through the
// registry core as clients would.
#include "fsck/store_check.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

#include "crypto/hasher.hpp"
#include "fsck/repair.hpp"
#include "registry/registry.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/blob/layout.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::fsck {
namespace {

namespace fs = std::filesystem;
using registry::RepositoryRef;

constexpr const char* kRegistryId = "123456789012:us-east-1";
const RepositoryRef kRepo{kRegistryId, "team/app"};

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

fs::path temp_dir(std::string_view prefix) {
  const char* env = std::getenv("BERTH_TEST_TMPDIR");
  fs::path base = env && *env ? fs::path(env) : fs::temp_directory_path();
  fs::create_directories(base);
  static std::atomic<unsigned> counter{0};
  for (;;) {
    fs::path dir =
        base / (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter++) + "-" + std::to_string(std::random_device()()));
    if (fs::create_directory(dir)) return dir;
  }
}

void flip_byte(const fs::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << file;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c ^= 0x5a;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

class StoreCheckTest : public ::testing::Test {
 protected:
  StoreCheckTest() : dir_(temp_dir("berth-fsck")) {
    blobs_ = std::move(storage::blob::fs::open_fs_blob_store(dir_, {.fsync = false}).value());
    meta_ = storage::meta::memory::make_memory_meta_store();
    registry_ = std::make_unique<registry::Registry>(*blobs_, *meta_, pool_);
  }
  ~StoreCheckTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  oci::Digest push_blob(const RepositoryRef& repo, std::string_view bytes) {
    auto done = registry::testing::push_blob(*registry_, repo, bytes);
    EXPECT_TRUE(done.has_value());
    return sha256_of(bytes);
  }

  // An image of a config and one layer, tagged; returns the manifest digest.
  oci::Digest push_image(const RepositoryRef& repo, std::string_view tag, std::string_view salt,
                         std::int64_t claimed_layer_size = -1) {
    std::string config =
        R"({"architecture":"amd64","os":"linux","salt":")" + std::string(salt) + "\"}";
    std::string layer = "layer bytes of " + std::string(salt) + std::string(5000, 'z');
    config_ = push_blob(repo, config);
    layer_ = push_blob(repo, layer);
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
        config_.str() + R"(","size":)" + std::to_string(config.size()) +
        R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
        layer_.str() + R"(","size":)" +
        std::to_string(claimed_layer_size >= 0 ? static_cast<std::uint64_t>(claimed_layer_size)
                                               : layer.size()) +
        "}]}";
    layer_bytes_ = layer;
    auto put =
        registry_->put_manifest(repo, {oci::Reference::of_tag(std::string(tag)), manifest, ""});
    EXPECT_TRUE(put.has_value()) << (put ? "" : put.error().message);
    return put->digest;
  }

  CheckReport check(CheckOptions options = {}) {
    auto report = check_stores(*blobs_, *meta_, options);
    EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
    return report.value_or(CheckReport{});
  }

  static std::string all(const CheckReport& r) {
    std::string out;
    for (const auto& f : r.findings) out += describe(f) + "\n";
    return out;
  }

  fs::path dir_;
  std::unique_ptr<storage::blob::BlobStore> blobs_;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  boost::asio::thread_pool pool_{1};
  std::unique_ptr<registry::Registry> registry_;
  oci::Digest config_, layer_;
  std::string layer_bytes_;
};

TEST_F(StoreCheckTest, CleanStoreHasNoFindings) {
  push_image(kRepo, "v1", "clean");
  CheckReport r = check();
  EXPECT_TRUE(r.findings.empty()) << all(r);
  EXPECT_EQ(r.stats.blobs, 2u);
  EXPECT_EQ(r.stats.repositories, 1u);
  EXPECT_EQ(r.stats.manifests, 1u);
  EXPECT_EQ(r.stats.tags, 1u);
  EXPECT_EQ(r.stats.referenced_blobs, 2u);
  EXPECT_EQ(r.stats.bytes_hashed, r.stats.blob_bytes);
}

TEST_F(StoreCheckTest, FlippedByteIsCorruptionRepairDeletesItAndRepushHeals) {
  push_image(kRepo, "v1", "rot");
  storage::blob::Layout layout(dir_);
  flip_byte(layout.blob_path(layer_), 100);

  CheckReport r = check();
  ASSERT_EQ(r.count(FindingKind::kBlobCorrupt), 1u) << all(r);
  EXPECT_TRUE(r.corrupt());
  EXPECT_EQ(r.corruption().front().digest, layer_);

  // Structure-only checks cannot see rot.
  EXPECT_FALSE(check({.verify_blob_content = false}).corrupt());

  RepairReport repairs = repair_stores(*blobs_, *meta_, r);
  ASSERT_EQ(repairs.count(RepairOutcome::kDone), 1u);
  EXPECT_FALSE(fs::exists(layout.blob_path(layer_)));

  CheckReport after = check();
  EXPECT_EQ(after.count(FindingKind::kManifestBlobMissing), 1u) << all(after);
  EXPECT_EQ(after.count(FindingKind::kLinkDangling), 1u) << all(after);

  push_blob(kRepo, layer_bytes_);  // the re-push heals
  CheckReport healed = check();
  EXPECT_TRUE(healed.findings.empty()) << all(healed);
}

TEST_F(StoreCheckTest, UnreferencedBlobIsInfoOnly) {
  auto writer = blobs_->begin_upload("loose-1");
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->append(std::string_view("loose bytes")));
  ASSERT_TRUE((*writer)->commit(sha256_of("loose bytes")));
  CheckReport r = check();
  ASSERT_EQ(r.count(FindingKind::kBlobUnreferenced), 1u) << all(r);
  EXPECT_FALSE(r.corrupt());
  EXPECT_TRUE(repair_stores(*blobs_, *meta_, r).actions.empty());  // GC's job
}

TEST_F(StoreCheckTest, StaleAndOrphanedUploadsAreReportedAndRemoved) {
  auto started = registry_->begin_upload(kRepo);  // both sides
  ASSERT_TRUE(started.has_value());
  ASSERT_TRUE(blobs_->begin_upload("orphan-data"));  // data, no record
  auto repo = meta_->get_repository(kRegistryId, kRepo.name);
  ASSERT_TRUE(meta_->create_upload({"orphan-record", repo->id, 1}));  // record, no data

  // Young uploads with both sides are in flight; a record from 1970 is not.
  CheckReport fresh = check();
  EXPECT_EQ(fresh.count(FindingKind::kUploadStale), 0u) << all(fresh);
  EXPECT_EQ(fresh.count(FindingKind::kUploadOrphanData), 0u) << all(fresh);
  EXPECT_EQ(fresh.count(FindingKind::kUploadOrphanRecord), 1u) << all(fresh);

  CheckReport r = check({.stale_after = std::chrono::seconds(0)});
  EXPECT_EQ(r.count(FindingKind::kUploadStale), 1u) << all(r);
  EXPECT_EQ(r.count(FindingKind::kUploadOrphanData), 1u) << all(r);
  EXPECT_EQ(r.count(FindingKind::kUploadOrphanRecord), 1u) << all(r);
  EXPECT_FALSE(r.corrupt());
  EXPECT_EQ(r.stats.uploads, 3u);

  RepairReport repairs = repair_stores(*blobs_, *meta_, r);
  EXPECT_EQ(repairs.count(RepairOutcome::kDone), 3u);
  CheckReport after = check({.stale_after = std::chrono::seconds(0)});
  EXPECT_TRUE(after.findings.empty()) << all(after);
  EXPECT_EQ(registry_->upload_status(kRepo, started->id).error().code, ErrorCode::kUploadNotFound);
}

TEST_F(StoreCheckTest, UnlinkedLayerIsCorruptionAndRepairRelinksIt) {
  push_image(kRepo, "v1", "unlinked");
  ASSERT_TRUE(registry_->delete_blob(kRepo, layer_));  // DELETE /v2/<name>/blobs/<digest>
  CheckReport r = check();
  ASSERT_EQ(r.count(FindingKind::kManifestBlobUnlinked), 1u) << all(r);
  RepairReport repairs = repair_stores(*blobs_, *meta_, r);
  EXPECT_EQ(repairs.count(RepairOutcome::kDone), 1u);
  EXPECT_TRUE(registry_->stat_blob(kRepo, layer_).has_value());
  EXPECT_TRUE(check().findings.empty());
}

TEST_F(StoreCheckTest, DescriptorSizeMismatchIsAWarning) {
  push_image(kRepo, "v1", "sizes", /*claimed_layer_size=*/7);
  CheckReport r = check();
  EXPECT_EQ(r.count(FindingKind::kManifestBlobSizeMismatch), 1u) << all(r);
  EXPECT_FALSE(r.corrupt());
}

TEST_F(StoreCheckTest, MissingBlobOfAManifestIsCorruption) {
  push_image(kRepo, "v1", "missing");
  ASSERT_TRUE(blobs_->remove(config_));  // as a too-eager collector would
  CheckReport r = check();
  EXPECT_EQ(r.count(FindingKind::kManifestBlobMissing), 1u) << all(r);
  EXPECT_EQ(r.count(FindingKind::kLinkDangling), 1u) << all(r);
  RepairReport repairs = repair_stores(*blobs_, *meta_, r);
  EXPECT_EQ(repairs.count(RepairOutcome::kDone), 1u);     // the link
  EXPECT_EQ(repairs.count(RepairOutcome::kSkipped), 1u);  // needs a re-push
  CheckReport after = check();
  EXPECT_EQ(after.count(FindingKind::kLinkDangling), 0u);
  EXPECT_EQ(after.count(FindingKind::kManifestBlobMissing), 1u);
}

TEST_F(StoreCheckTest, ProgressSeesEveryPhaseAndTotals) {
  push_image(kRepo, "v1", "progress");
  std::vector<std::string> phases;
  CheckStats last;
  CheckOptions options;
  options.count_blobs_first = true;
  options.progress = [&](std::string_view phase, const CheckStats& s) {
    if (phases.empty() || phases.back() != phase) phases.emplace_back(phase);
    last = s;
  };
  check(options);
  EXPECT_EQ(phases, (std::vector<std::string>{"counting", "blobs", "manifests", "links", "uploads",
                                              "done"}));
  EXPECT_EQ(last.blobs_total, 2u);
  EXPECT_EQ(last.bytes_hashed, last.blob_bytes_total);
}

TEST(HashBlob, StreamsAndDetectsMismatch) {
  auto dir = temp_dir("berth-fsck-hash");
  auto blobs = storage::blob::fs::open_fs_blob_store(dir, {.fsync = false}).value();
  std::string big(3 * 1024 * 1024 + 17, 'q');
  auto writer = blobs->begin_upload("big-1").value();
  ASSERT_TRUE(writer->append(big));
  auto digest = sha256_of(big);
  ASSERT_TRUE(writer->commit(digest));
  std::size_t chunks = 0;
  auto got = hash_blob(*blobs, digest, [&](std::size_t) { ++chunks; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, digest);
  EXPECT_EQ(chunks, 4u);  // 1 MiB at a time
  EXPECT_EQ(hash_blob(*blobs, sha256_of("absent")).error().code, ErrorCode::kBlobNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::fsck
