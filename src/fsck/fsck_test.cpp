// run_fsck over a real data directory (filesystem blobs + SQLite metadata),
// including damage only a broken database can hold (written with raw SQL).
#include "fsck/fsck.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <random>

#include "crypto/hasher.hpp"
#include "registry/registry.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/blob/layout.hpp"
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

namespace berth::fsck {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRegistryId = "123456789012:us-east-1";
const registry::RepositoryRef kRepo{kRegistryId, "team/app"};
const registry::RepositoryRef kEcrRepo{"210987654321:eu-west-1", "other/app"};

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

fs::path temp_dir() {
  const char* env = std::getenv("BERTH_TEST_TMPDIR");
  fs::path base = env && *env ? fs::path(env) : fs::temp_directory_path();
  fs::create_directories(base);
  static std::atomic<unsigned> counter{0};
  for (;;) {
    fs::path dir =
        base / ("berth-fsck-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                "-" + std::to_string(std::random_device()()));
    if (fs::create_directory(dir)) return dir;
  }
}

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

Output fsck(FsckOptions options) {
  options.progress = ProgressMode::kPlain;
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Output o;
  o.code = run_fsck(options, out, err);
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

class FsckTest : public ::testing::Test {
 protected:
  FsckTest() : dir_(temp_dir()) {
    // A data dir as `berth serve` leaves it; the stores close before fsck.
    auto blobs = storage::blob::fs::open_fs_blob_store(dir_, {.fsync = false}).value();
    auto meta = storage::meta::sqlite::open_sqlite_meta_store(dir_ / "metadata.db").value();
    boost::asio::thread_pool pool(1);
    registry::Registry core(*blobs, *meta, pool);
    manifest_ = push_image(core, kRepo, "v1", "one");
    push_image(core, kEcrRepo, "latest", "two");
  }
  ~FsckTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  oci::Digest push_blob(registry::Registry& core, const registry::RepositoryRef& repo,
                        std::string_view bytes) {
    EXPECT_TRUE(registry::testing::push_blob(core, repo, bytes));
    return sha256_of(bytes);
  }

  oci::Digest push_image(registry::Registry& core, const registry::RepositoryRef& repo,
                         std::string tag, std::string salt) {
    std::string config = R"({"architecture":"amd64","os":"linux","salt":")" + salt + "\"}";
    std::string layer = "layer " + salt + std::string(70000, 'l');
    layer_ = push_blob(core, repo, layer);
    auto c = push_blob(core, repo, config);
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
        c.str() + R"(","size":)" + std::to_string(config.size()) +
        R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
        layer_.str() + R"(","size":)" + std::to_string(layer.size()) + "}]}";
    auto put = core.put_manifest(repo, {oci::Reference::of_tag(tag), manifest, ""});
    EXPECT_TRUE(put.has_value());
    return put->digest;
  }

  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "metadata.db").c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    int rc =
        sqlite3_exec(db, ("PRAGMA foreign_keys=OFF; " + statement).c_str(), nullptr, nullptr, &msg);
    EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
  }

  FsckOptions options() const {
    FsckOptions o;
    o.data_dir = dir_;
    return o;
  }

  fs::path dir_;
  oci::Digest manifest_;
  oci::Digest layer_;  // the last image's layer (in kEcrRepo)
};

TEST_F(FsckTest, CleanDataDirExitsZeroAndChecksEveryRegistry) {
  Output o = fsck(options());
  EXPECT_EQ(o.code, kExitClean) << o.out << o.err;
  EXPECT_NE(o.out.find("no corruption found"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("2 repositories"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("fsck: done"), std::string::npos) << o.err;  // plain progress lines
}

TEST_F(FsckTest, RottenBlobExitsOneNamingItAndRepairDeletesIt) {
  fs::path file = storage::blob::Layout(dir_).blob_path(layer_);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1234);
    f.put('!');
  }
  Output o = fsck(options());
  EXPECT_EQ(o.code, kExitCorrupt);
  EXPECT_NE(o.out.find("blob_corrupt digest=" + layer_.str()), std::string::npos) << o.out;
  EXPECT_TRUE(fs::exists(file)) << "read-only mode must not delete";

  FsckOptions repair = options();
  repair.repair = true;
  Output r = fsck(repair);
  EXPECT_EQ(r.code, kExitCorrupt) << r.out;  // the manifest still needs the layer back
  EXPECT_NE(r.out.find("repair done: deleted corrupt blob " + layer_.str()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("after repair: corruption manifest_blob_missing"), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(FsckTest, JsonSummaryIsOneDocument) {
  FsckOptions o = options();
  o.json = true;
  o.stale_after = std::chrono::seconds(0);
  Output out = fsck(o);
  ASSERT_EQ(out.code, kExitClean) << out.out;
  auto doc = boost::json::parse(out.out).as_object();
  EXPECT_EQ(doc.at("clean").as_bool(), true);
  EXPECT_EQ(doc.at("exit_code").as_int64(), 0);
  const auto& check = doc.at("check").as_object();
  EXPECT_EQ(boost::json::value_to<std::uint64_t>(check.at("stats").at("manifests")), 2u);
  EXPECT_EQ(boost::json::value_to<std::uint64_t>(check.at("stats").at("registries")), 2u);
  EXPECT_EQ(boost::json::value_to<std::uint64_t>(check.at("stats").at("blobs")), 4u);
}

TEST_F(FsckTest, DamagedDatabaseIsReportedAndRepaired) {
  // A tag naming no manifest, a link to no blob, a manifest whose stored
  // bytes were altered: none can be made through the MetaStore API.
  const std::string ghost = sha256_of("ghost").str();
  sql("INSERT INTO tags (repository_id, name, digest) SELECT id, 'ghost', '" + ghost +
      "' FROM repositories WHERE name = 'team/app';"
      "INSERT INTO blob_links (repository_id, digest, size, created_at) SELECT id, '" +
      ghost +
      "', 5, 0 FROM repositories WHERE name = 'team/app';"
      "UPDATE manifest_contents SET content = CAST(replace(CAST(content AS TEXT), 'schemaVersion', "
      "'schemaVersiom') AS BLOB) WHERE manifest_id = (SELECT id FROM manifests WHERE digest = '" +
      manifest_.str() + "');");
  Output o = fsck(options());
  EXPECT_EQ(o.code, kExitCorrupt);
  EXPECT_NE(o.out.find("tag_dangling repository=team/app"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("link_dangling repository=team/app"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("manifest_corrupt repository=team/app"), std::string::npos) << o.out;

  FsckOptions repair = options();
  repair.repair = true;
  Output r = fsck(repair);
  EXPECT_EQ(r.code, kExitClean) << r.out;
  EXPECT_NE(r.out.find("deleted dangling tag ghost"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tags removed with it: v1"), std::string::npos) << r.out;
  EXPECT_EQ(fsck(options()).code, kExitClean);
}

TEST_F(FsckTest, StaleUploadIsInfoAndRepairRemovesIt) {
  {
    auto blobs = storage::blob::fs::open_fs_blob_store(dir_).value();
    auto meta = storage::meta::sqlite::open_sqlite_meta_store(dir_ / "metadata.db").value();
    boost::asio::thread_pool pool(1);
    registry::Registry core(*blobs, *meta, pool);
    ASSERT_TRUE(core.begin_upload(kRepo));
  }
  FsckOptions o = options();
  o.stale_after = std::chrono::seconds(0);
  Output check = fsck(o);
  EXPECT_EQ(check.code, kExitClean);
  EXPECT_NE(check.out.find("info upload_stale"), std::string::npos) << check.out;
  o.repair = true;
  Output r = fsck(o);
  EXPECT_EQ(r.code, kExitClean);
  EXPECT_NE(r.out.find("repair done: removed stale upload"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(dir_ / "uploads"));
}

TEST_F(FsckTest, UsageAndOpenErrorsExitTwo) {
  FsckOptions missing;
  missing.data_dir = dir_ / "nope";
  Output o = fsck(missing);
  EXPECT_EQ(o.code, kExitError);
  EXPECT_NE(o.err.find("does not exist"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(dir_ / "nope"));  // never created

  FsckOptions not_berth;
  not_berth.data_dir = dir_ / "blobs";
  EXPECT_EQ(fsck(not_berth).code, kExitError);

  const char* bad_args[] = {"berth_fsck_tool", "--frobnicate"};
  EXPECT_EQ(fsck_main(2, bad_args), kExitError);
  const char* no_dir[] = {"berth_fsck_tool", "fsck"};
  EXPECT_EQ(fsck_main(2, no_dir), kExitError);
}

}  // namespace
}  // namespace berth::fsck
