#include "conformance/meta_store_suite.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "oci/media_types.hpp"
#include "util/time.hpp"

namespace berth::conformance {

using oci::Digest;
using storage::meta::ManifestRecord;
using storage::meta::ManifestReference;
using storage::meta::MetaStore;
using storage::meta::PutManifestOptions;
using storage::meta::ReferenceKind;
using storage::meta::RegistryStorage;
using storage::meta::RepositoryId;
using storage::meta::UploadRecord;

void PrintTo(const MetaStoreFactory& factory, std::ostream* os) { *os << factory.name; }

std::string meta_store_factory_name(const ::testing::TestParamInfo<MetaStoreFactory>& info) {
  link_meta_store_shared_suite();
  return info.param.name;
}

std::filesystem::path make_meta_temp_dir(std::string_view prefix) {
  const char* env = std::getenv("BERTH_TEST_TMPDIR");
  std::filesystem::path root = env != nullptr && *env != '\0'
                                   ? std::filesystem::path(env)
                                   : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(root);
  std::random_device rd;
  for (;;) {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
    auto dir = root / (std::string(prefix) + "-" + suffix);
    if (std::filesystem::create_directory(dir)) return dir;
  }
}

void MetaStoreConformance::SetUp() {
  store_ = GetParam().make();
  if (IsSkipped() || HasFatalFailure()) return;  // an external backend that is not there
  ASSERT_NE(store_, nullptr) << "factory " << GetParam().name << " returned no store";
}

void MetaStoreConformance::TearDown() {
  second_.reset();
  store_.reset();
  if (GetParam().teardown) GetParam().teardown();
}

storage::meta::MetaStore* MetaStoreConformance::second_store() {
  if (second_) return second_.get();
  if (!GetParam().open_again) return nullptr;
  second_ = GetParam().open_again();
  return second_.get();
}

namespace {

constexpr std::string_view kRegistry = "default";
constexpr std::int64_t kNow = 1'700'000'000'000;

Digest digest_n(std::uint64_t n) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064llx", static_cast<unsigned long long>(n));
  return Digest::from_hex(oci::DigestAlgorithm::kSha256, hex);
}
// Distinct ranges, so digest order follows n within each kind.
Digest blob(std::uint64_t n) { return digest_n(0xb0000000 + n); }
Digest mdigest(std::uint64_t n) { return digest_n(0xd0000000 + n); }

ManifestRecord image(std::uint64_t n, std::int64_t pushed_at = kNow) {
  ManifestRecord m;
  m.digest = mdigest(n);
  m.media_type = oci::media_types::kOciManifest;
  m.config_media_type = oci::media_types::kOciConfig;
  m.content = "{\"image\":" + std::to_string(n) + "}";
  m.size = m.content.size();
  m.image_size = m.size + 1000;
  m.pushed_at_ms = pushed_at;
  return m;
}

ManifestRecord index_manifest(std::uint64_t n) {
  ManifestRecord m = image(n);
  m.media_type = oci::media_types::kOciIndex;
  m.config_media_type.clear();
  return m;
}

ManifestReference blob_ref(std::uint64_t n) { return {blob(n), ReferenceKind::kBlob, 100 + n}; }
ManifestReference child_ref(const Digest& d) { return {d, ReferenceKind::kManifest, 50}; }

PutManifestOptions with_tag(std::string tag, bool immutable = false) {
  PutManifestOptions options;
  options.tags = {{std::move(tag), immutable}};
  return options;
}

template <typename R>
::testing::AssertionResult is_ok(const R& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << to_string(result.error().code) << ": " << result.error().message << " ["
         << result.error().detail << "]";
}

template <typename R>
::testing::AssertionResult has_code(const R& result, ErrorCode code) {
  if (result)
    return ::testing::AssertionFailure() << "expected " << to_string(code) << ", got success";
  if (result.error().code != code) {
    return ::testing::AssertionFailure()
           << "expected " << to_string(code) << ", got " << to_string(result.error().code) << ": "
           << result.error().message;
  }
  return ::testing::AssertionSuccess();
}

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  auto lhs##_result = (expr);           \
  ASSERT_TRUE(is_ok(lhs##_result));     \
  auto lhs = std::move(*lhs##_result)

RepositoryId make_repo(MetaStore& store, std::string_view name) {
  auto repo = store.ensure_repository(kRegistry, name, kNow);
  EXPECT_TRUE(is_ok(repo));
  return repo ? repo->id : -1;
}

void link(MetaStore& store, RepositoryId repo, std::uint64_t n) {
  EXPECT_TRUE(is_ok(store.link_blob(repo, blob(n), 100 + n, kNow)));
}

Status put(MetaStore& store, RepositoryId repo, const ManifestRecord& manifest,
           const std::vector<ManifestReference>& refs = {},
           const PutManifestOptions& options = {}) {
  return store.put_manifest(repo, manifest, refs, options);
}

std::vector<Digest> walked_blobs(MetaStore& store) {
  std::vector<Digest> out;
  EXPECT_TRUE(is_ok(store.walk_referenced_blobs([&](const Digest& d) -> Status {
    out.push_back(d);
    return ok();
  })));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> strings(std::initializer_list<const char*> items) {
  return {items.begin(), items.end()};
}

}  // namespace

// ---- repositories ----

TEST_P(MetaStoreConformance, RepositoryCreateGetEnsure) {
  ASSERT_OK_AND_ASSIGN(created,
                       store().create_repository(kRegistry, "team/app", R"({"a":1})", kNow));
  EXPECT_EQ(created.registry, kRegistry);
  EXPECT_EQ(created.name, "team/app");
  EXPECT_EQ(created.created_at_ms, kNow);
  EXPECT_EQ(created.settings_json, R"({"a":1})");

  ASSERT_OK_AND_ASSIGN(got, store().get_repository(kRegistry, "team/app"));
  EXPECT_EQ(got.id, created.id);
  EXPECT_EQ(got.settings_json, R"({"a":1})");
  EXPECT_EQ(got.created_at_ms, kNow);

  ASSERT_OK_AND_ASSIGN(ensured, store().ensure_repository(kRegistry, "team/app", kNow + 5));
  EXPECT_EQ(ensured.id, created.id);
  EXPECT_EQ(ensured.created_at_ms, kNow);

  ASSERT_OK_AND_ASSIGN(fresh, store().ensure_repository(kRegistry, "other", kNow + 7));
  EXPECT_NE(fresh.id, created.id);
  EXPECT_EQ(fresh.settings_json, "{}");
  EXPECT_EQ(fresh.created_at_ms, kNow + 7);

  ASSERT_OK_AND_ASSIGN(found, store().find_or_create_repository(kRegistry, "team/app", kNow + 9));
  EXPECT_FALSE(found.created);
  EXPECT_EQ(found.record.id, created.id);
  ASSERT_OK_AND_ASSIGN(made, store().find_or_create_repository(kRegistry, "third", kNow + 9));
  EXPECT_TRUE(made.created);
  EXPECT_EQ(made.record.created_at_ms, kNow + 9);
  ASSERT_OK_AND_ASSIGN(again, store().find_or_create_repository(kRegistry, "third", kNow + 11));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.record.id, made.record.id);

  EXPECT_TRUE(has_code(store().create_repository(kRegistry, "team/app", "{}", kNow),
                       ErrorCode::kAlreadyExists));
  EXPECT_TRUE(
      has_code(store().get_repository(kRegistry, "missing"), ErrorCode::kRepositoryNotFound));
  // Same name, another registry: a different repository.
  EXPECT_TRUE(has_code(store().get_repository("123:us-east-1", "team/app"),
                       ErrorCode::kRepositoryNotFound));
  ASSERT_OK_AND_ASSIGN(ecr, store().create_repository("123:us-east-1", "team/app", "{}", kNow));
  EXPECT_NE(ecr.id, created.id);
}

TEST_P(MetaStoreConformance, InOneReadRunsTheReadsAndPassesTheOutcomeOn) {
  RepositoryId repo = make_repo(store(), "grouped");
  ASSERT_TRUE(is_ok(store().put_registry_settings(kRegistry, R"({"p":1})")));
  int reads = 0;
  Status done = store().in_one_read([&]() -> Status {
    auto record = store().get_repository(kRegistry, "grouped");
    EXPECT_TRUE(record.has_value());
    if (record) EXPECT_EQ(record->id, repo);
    auto settings = store().get_registry_settings(kRegistry);
    EXPECT_TRUE(settings.has_value());
    if (settings) EXPECT_EQ(*settings, R"({"p":1})");
    EXPECT_TRUE(has_code(store().get_repository(kRegistry, "absent"),
                         ErrorCode::kRepositoryNotFound));
    ++reads;
    return ok();
  });
  EXPECT_TRUE(is_ok(done));
  EXPECT_EQ(reads, 1);
  Status refused = store().in_one_read(
      []() -> Status { return fail(ErrorCode::kDenied, "refused inside"); });
  EXPECT_TRUE(has_code(refused, ErrorCode::kDenied));
  // The store is usable afterwards: nothing was left open.
  ASSERT_OK_AND_ASSIGN(after, store().get_repository(kRegistry, "grouped"));
  EXPECT_EQ(after.id, repo);
}

TEST_P(MetaStoreConformance, RepositorySettings) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(store().update_repository_settings(repo, R"({"immutable":true})")));
  ASSERT_OK_AND_ASSIGN(got, store().get_repository(kRegistry, "r"));
  EXPECT_EQ(got.settings_json, R"({"immutable":true})");
  EXPECT_TRUE(has_code(store().update_repository_settings(repo + 1000, "{}"),
                       ErrorCode::kRepositoryNotFound));
}

TEST_P(MetaStoreConformance, ModifySettingsIsOneTransactionAndARefusalWritesNothing) {
  RepositoryId repo = make_repo(store(), "r");
  // Concurrent read-modify-writes of different members: none is lost.
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto changed = store().modify_repository_settings(
            repo, [&](const std::string& current) -> Result<std::string> {
              // Appends one marker per call; the JSON shape is the caller's.
              return current + "t" + std::to_string(t) + ";";
            });
        EXPECT_TRUE(is_ok(changed));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_OK_AND_ASSIGN(got, store().get_repository(kRegistry, "r"));
  for (int t = 0; t < kThreads; ++t) {
    const std::string marker = "t" + std::to_string(t) + ";";
    std::size_t count = 0;
    for (std::size_t at = got.settings_json.find(marker); at != std::string::npos;
         at = got.settings_json.find(marker, at + 1)) {
      ++count;
    }
    EXPECT_EQ(count, static_cast<std::size_t>(kEach)) << marker;
  }
  auto refused = store().modify_repository_settings(
      repo, [](const std::string&) -> Result<std::string> {
        return fail(ErrorCode::kInvalidArgument, "no");
      });
  EXPECT_TRUE(has_code(refused, ErrorCode::kInvalidArgument));
  EXPECT_EQ(store().get_repository(kRegistry, "r")->settings_json, got.settings_json);
  EXPECT_TRUE(has_code(
      store().modify_repository_settings(repo + 1000,
                                         [](const std::string& s) -> Result<std::string> { return s; }),
      ErrorCode::kRepositoryNotFound));

  // Registry settings: "{}" to start, the change's result after.
  ASSERT_OK_AND_ASSIGN(first, store().modify_registry_settings(
                                  "111111111111:us-east-1",
                                  [](const std::string& s) -> Result<std::string> {
                                    EXPECT_EQ(s, "{}");
                                    return std::string(R"({"p":1})");
                                  }));
  EXPECT_EQ(first, R"({"p":1})");
  EXPECT_EQ(*store().get_registry_settings("111111111111:us-east-1"), R"({"p":1})");
  EXPECT_TRUE(has_code(store().modify_registry_settings(
                           "111111111111:us-east-1",
                           [](const std::string&) -> Result<std::string> {
                             return fail(ErrorCode::kInvalidArgument, "no");
                           }),
                       ErrorCode::kInvalidArgument));
  EXPECT_EQ(*store().get_registry_settings("111111111111:us-east-1"), R"({"p":1})");
}

TEST_P(MetaStoreConformance, ListRepositoryRecordsAndRegistries) {
  ASSERT_TRUE(is_ok(store().create_repository("b-registry", "x", R"({"k":1})", kNow)));
  ASSERT_TRUE(is_ok(store().create_repository("b-registry", "a", "{}", kNow + 1)));
  ASSERT_TRUE(is_ok(store().ensure_repository("a-registry", "z", kNow)));
  ASSERT_TRUE(is_ok(store().put_registry_settings("c-registry", R"({"only":"settings"})")));
  ASSERT_OK_AND_ASSIGN(page, store().list_repository_records("b-registry", "", 10));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].name, "a");
  EXPECT_EQ(page[0].registry, "b-registry");
  EXPECT_EQ(page[0].created_at_ms, kNow + 1);
  EXPECT_EQ(page[1].name, "x");
  EXPECT_EQ(page[1].settings_json, R"({"k":1})");
  ASSERT_OK_AND_ASSIGN(after, store().list_repository_records("b-registry", "a", 10));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].name, "x");
  ASSERT_OK_AND_ASSIGN(registries, store().list_registries("", 10));
  EXPECT_EQ(registries, strings({"a-registry", "b-registry", "c-registry"}));
  ASSERT_OK_AND_ASSIGN(later, store().list_registries("a-registry", 1));
  EXPECT_EQ(later, strings({"b-registry"}));
}

TEST_P(MetaStoreConformance, RecordPullsAppliesABatchAndSkipsMissing) {
  auto repo = store().ensure_repository("111111111111:us-east-1", "pulls", 1);
  ASSERT_TRUE(repo.has_value());
  storage::meta::ManifestRecord m;
  m.content = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  m.digest = oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, std::string(64, 'a'));
  m.media_type = "application/vnd.oci.image.index.v1+json";
  m.size = m.content.size();
  m.pushed_at_ms = 5;
  ASSERT_TRUE(store().put_manifest(repo->id, m, {}, {}));
  auto missing = oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, std::string(64, 'b'));
  ASSERT_TRUE(store().record_pulls({{repo->id, m.digest, 100}, {repo->id, missing, 100}}));
  EXPECT_EQ(store().get_manifest(repo->id, m.digest)->last_pulled_at_ms, 100);
  // Never backwards: a late batch with an older time keeps the newer one.
  ASSERT_TRUE(store().record_pulls({{repo->id, m.digest, 50}}));
  EXPECT_EQ(store().get_manifest(repo->id, m.digest)->last_pulled_at_ms, 100);
}

TEST_P(MetaStoreConformance, RegistrySettingsArePerRegistry) {
  auto empty = store().get_registry_settings("111111111111:us-east-1");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "{}");
  ASSERT_TRUE(store().put_registry_settings("111111111111:us-east-1", R"({"a":1})"));
  ASSERT_TRUE(store().put_registry_settings("111111111111:us-east-1", R"({"a":2})"));
  EXPECT_EQ(*store().get_registry_settings("111111111111:us-east-1"), R"({"a":2})");
  EXPECT_EQ(*store().get_registry_settings("222222222222:us-east-1"), "{}");
}

TEST_P(MetaStoreConformance, DeleteRepositoryCascades) {
  RepositoryId repo = make_repo(store(), "doomed");
  RepositoryId kept = make_repo(store(), "kept");
  link(store(), repo, 1);
  link(store(), repo, 2);
  link(store(), kept, 3);
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {blob_ref(1), blob_ref(2)}, with_tag("v1"))));
  ASSERT_TRUE(is_ok(store().create_upload({"u-doomed", repo, kNow})));
  ASSERT_TRUE(is_ok(store().create_upload({"u-kept", kept, kNow})));

  ASSERT_TRUE(is_ok(store().delete_repository(repo)));
  EXPECT_TRUE(
      has_code(store().get_repository(kRegistry, "doomed"), ErrorCode::kRepositoryNotFound));
  EXPECT_TRUE(has_code(store().delete_repository(repo), ErrorCode::kRepositoryNotFound));
  EXPECT_TRUE(has_code(store().count_manifests(repo), ErrorCode::kRepositoryNotFound));
  EXPECT_TRUE(has_code(store().get_upload("u-doomed"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(is_ok(store().get_upload("u-kept")));
  EXPECT_EQ(walked_blobs(store()), std::vector<Digest>{blob(3)});

  // A new repository of the same name starts empty.
  RepositoryId again = make_repo(store(), "doomed");
  EXPECT_TRUE(has_code(store().get_manifest(again, mdigest(1)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().resolve_tag(again, "v1"), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().get_blob_link(again, blob(1)), ErrorCode::kBlobNotFound));
  EXPECT_EQ(store().count_manifests(again).value_or(99), 0u);
  EXPECT_EQ(store().list_repositories(kRegistry, "", 10).value_or(std::vector<std::string>{}),
            strings({"doomed", "kept"}));
}

TEST_P(MetaStoreConformance, ListRepositoriesPaginationAndRegistries) {
  // Byte order: '-' (0x2d) < '.' < '/' (0x2f) < 'Z' (0x5a) < 'a' (0x61),
  // and UTF-8 lead bytes (0xc3) after every ASCII letter.
  for (const char* name : {"b", "a/b", "Zed", "a", "\xc3\xa9t\xc3\xa9", "a-b", "z"}) {
    make_repo(store(), name);
  }
  ASSERT_TRUE(is_ok(store().create_repository("other", "a0", "{}", kNow)));
  const auto all = strings({"Zed", "a", "a-b", "a/b", "b", "z", "\xc3\xa9t\xc3\xa9"});
  EXPECT_EQ(store().list_repositories(kRegistry, "", 100).value(), all);
  EXPECT_EQ(store().list_repositories(kRegistry, "a", 100).value(),
            strings({"a-b", "a/b", "b", "z", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(store().list_repositories(kRegistry, "a.", 2).value(), strings({"a/b", "b"}));
  EXPECT_TRUE(store().list_repositories(kRegistry, "", 0).value().empty());
  EXPECT_TRUE(store().list_repositories(kRegistry, "\xc3\xa9t\xc3\xa9", 5).value().empty());
  EXPECT_EQ(store().list_repositories("other", "", 100).value(), strings({"a0"}));
  EXPECT_TRUE(store().list_repositories("nobody", "", 100).value().empty());

  std::vector<std::string> paged;
  std::string after;
  for (;;) {
    auto page = store().list_repositories(kRegistry, after, 3).value();
    ASSERT_LE(page.size(), 3u);
    if (page.empty()) break;
    paged.insert(paged.end(), page.begin(), page.end());
    after = page.back();
  }
  EXPECT_EQ(paged, all);
}

// ---- blob links ----

TEST_P(MetaStoreConformance, BlobLinks) {
  RepositoryId repo = make_repo(store(), "r");
  RepositoryId other = make_repo(store(), "o");
  EXPECT_TRUE(has_code(store().get_blob_link(repo, blob(1)), ErrorCode::kBlobNotFound));
  ASSERT_TRUE(is_ok(store().link_blob(repo, blob(1), 42, kNow)));
  ASSERT_TRUE(is_ok(store().link_blob(repo, blob(1), 42, kNow + 1)));  // idempotent
  EXPECT_EQ(store().get_blob_link(repo, blob(1)).value_or(0), 42u);
  EXPECT_TRUE(has_code(store().get_blob_link(other, blob(1)), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(
      has_code(store().link_blob(repo + 1000, blob(1), 42, kNow), ErrorCode::kRepositoryNotFound));

  ASSERT_TRUE(is_ok(store().unlink_blob(repo, blob(1))));
  EXPECT_TRUE(has_code(store().get_blob_link(repo, blob(1)), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(has_code(store().unlink_blob(repo, blob(1)), ErrorCode::kBlobNotFound));
}

// What the quotas (registry/quotas.hpp) count: repositories per registry,
// and the bytes of the distinct blobs linked in a registry.
TEST_P(MetaStoreConformance, QuotaMeasuresArePerRegistryAndCountEachBlobOnce) {
  EXPECT_EQ(store().count_repositories(kRegistry).value_or(99), 0u);
  ASSERT_OK_AND_ASSIGN(empty, store().registry_storage(kRegistry, blob(1)));
  EXPECT_EQ(empty.bytes, 0u);
  EXPECT_FALSE(empty.holds_digest);

  RepositoryId a = make_repo(store(), "a");
  RepositoryId b = make_repo(store(), "b");
  ASSERT_OK_AND_ASSIGN(elsewhere, store().ensure_repository("elsewhere", "a", kNow));
  EXPECT_EQ(store().count_repositories(kRegistry).value_or(0), 2u);
  EXPECT_EQ(store().count_repositories("elsewhere").value_or(0), 1u);
  EXPECT_EQ(store().count_repositories("nowhere").value_or(99), 0u);

  link(store(), a, 1);             // 101 bytes
  link(store(), a, 2);             // 102
  link(store(), b, 1);             // the same blob in a second repository: once
  link(store(), elsewhere.id, 3);  // another registry's
  ASSERT_OK_AND_ASSIGN(used, store().registry_storage(kRegistry, blob(2)));
  EXPECT_EQ(used.bytes, 203u);
  EXPECT_TRUE(used.holds_digest);
  ASSERT_OK_AND_ASSIGN(other, store().registry_storage(kRegistry, blob(3)));
  EXPECT_EQ(other.bytes, 203u);
  EXPECT_FALSE(other.holds_digest);  // linked, but in another registry
  EXPECT_EQ(store().registry_storage("elsewhere", blob(3)).value_or(RegistryStorage{}).bytes, 103u);

  // Bytes go with the registry's last link to a blob, and with a repository.
  ASSERT_TRUE(is_ok(store().unlink_blob(a, blob(1))));
  EXPECT_EQ(store().registry_storage(kRegistry, blob(1)).value_or(RegistryStorage{}).bytes, 203u);
  ASSERT_TRUE(is_ok(store().delete_repository(b)));
  ASSERT_OK_AND_ASSIGN(after, store().registry_storage(kRegistry, blob(1)));
  EXPECT_EQ(after.bytes, 102u);
  EXPECT_FALSE(after.holds_digest);
  EXPECT_EQ(store().count_repositories(kRegistry).value_or(0), 1u);
}

TEST_P(MetaStoreConformance, LinkUploadedBlobLinksAndEndsTheUploadTogether) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(store().create_upload({"u1", repo, kNow})));
  ASSERT_TRUE(is_ok(store().create_upload({"u2", repo, kNow})));
  ASSERT_TRUE(is_ok(store().link_uploaded_blob("u1", repo, blob(1), 42, kNow)));
  EXPECT_EQ(store().get_blob_link(repo, blob(1)).value_or(0), 42u);
  EXPECT_TRUE(has_code(store().get_upload("u1"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(is_ok(store().get_upload("u2")));  // only its own upload ends

  // The record may already be gone (a racing cancel): the blob still links.
  ASSERT_TRUE(is_ok(store().link_uploaded_blob("u1", repo, blob(2), 7, kNow)));
  EXPECT_EQ(store().get_blob_link(repo, blob(2)).value_or(0), 7u);

  // A missing repository changes nothing, not even the upload record.
  EXPECT_TRUE(has_code(store().link_uploaded_blob("u2", repo + 1000, blob(3), 1, kNow),
                       ErrorCode::kRepositoryNotFound));
  EXPECT_TRUE(is_ok(store().get_upload("u2")));
}

// ---- manifests ----

TEST_P(MetaStoreConformance, PutManifestRoundTrip) {
  RepositoryId repo = make_repo(store(), "r");
  ManifestRecord m = image(1);
  m.artifact_type = "application/vnd.example+type";
  m.subject = mdigest(99);  // a subject need not exist (referrers may come first)
  m.content = std::string("{\"bytes\":\"\0\xff\"}", 15);
  m.size = m.content.size();
  m.last_pulled_at_ms = 0;
  ASSERT_TRUE(is_ok(put(store(), repo, m, {}, with_tag("v1"))));

  ASSERT_OK_AND_ASSIGN(got, store().get_manifest(repo, m.digest));
  EXPECT_EQ(got.digest, m.digest);
  EXPECT_EQ(got.media_type, m.media_type);
  EXPECT_EQ(got.artifact_type, m.artifact_type);
  EXPECT_EQ(got.config_media_type, m.config_media_type);
  EXPECT_EQ(got.size, m.size);
  EXPECT_EQ(got.image_size, m.image_size);
  EXPECT_EQ(got.subject, m.subject);
  EXPECT_EQ(got.pushed_at_ms, kNow);
  EXPECT_EQ(got.last_pulled_at_ms, 0);
  EXPECT_EQ(got.content, m.content);
  EXPECT_EQ(store().resolve_tag(repo, "v1").value_or(Digest{}), m.digest);
  EXPECT_EQ(store().count_manifests(repo).value_or(0), 1u);
  EXPECT_TRUE(has_code(put(store(), repo + 1000, image(2)), ErrorCode::kRepositoryNotFound));
}

TEST_P(MetaStoreConformance, MissingBlobStoresNothing) {
  RepositoryId repo = make_repo(store(), "r");
  link(store(), repo, 1);
  // The first reference is satisfied, the second is not: no partial rows.
  Status status = put(store(), repo, image(1), {blob_ref(1), blob_ref(2)}, with_tag("v1"));
  ASSERT_TRUE(has_code(status, ErrorCode::kManifestBlobUnknown));
  EXPECT_EQ(status.error().detail, blob(2).str());
  EXPECT_TRUE(has_code(store().get_manifest(repo, mdigest(1)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().resolve_tag(repo, "v1"), ErrorCode::kManifestNotFound));
  EXPECT_EQ(store().count_manifests(repo).value_or(9), 0u);
  EXPECT_TRUE(store().list_manifests(repo, "", 10).value().empty());
  EXPECT_EQ(walked_blobs(store()), std::vector<Digest>{blob(1)});

  PutManifestOptions lenient = with_tag("v1");
  lenient.allow_missing_blobs = true;
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {blob_ref(1), blob_ref(2)}, lenient)));
  EXPECT_TRUE(is_ok(store().get_manifest(repo, mdigest(1))));
  EXPECT_EQ(walked_blobs(store()), (std::vector<Digest>{blob(1), blob(2)}));
}

TEST_P(MetaStoreConformance, IndexRequiresChildManifests) {
  RepositoryId repo = make_repo(store(), "r");
  RepositoryId other = make_repo(store(), "o");
  PutManifestOptions lenient;
  lenient.allow_missing_blobs = true;  // does not excuse missing children: only
                                       // allow_missing_children does
  ASSERT_TRUE(is_ok(put(store(), other, image(1), {}, lenient)));  // wrong repository
  Status status = put(store(), repo, index_manifest(10), {child_ref(mdigest(1))}, lenient);
  ASSERT_TRUE(has_code(status, ErrorCode::kManifestBlobUnknown));
  EXPECT_EQ(status.error().detail, mdigest(1).str());
  EXPECT_TRUE(has_code(store().get_manifest(repo, mdigest(10)), ErrorCode::kManifestNotFound));

  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  ASSERT_TRUE(is_ok(put(store(), repo, index_manifest(10), {child_ref(mdigest(1))})));
  EXPECT_EQ(store().parents_of(repo, mdigest(1)).value(), std::vector<Digest>{mdigest(10)});
  EXPECT_TRUE(store().parents_of(other, mdigest(1)).value().empty());
  // A child manifest is not a blob: GC of blobs never sees it.
  EXPECT_TRUE(walked_blobs(store()).empty());
}

TEST_P(MetaStoreConformance, SparseIndexIsStoredWhenMissingChildrenAreAllowed) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  PutManifestOptions sparse = with_tag("multi");
  sparse.allow_missing_children = true;
  ASSERT_TRUE(is_ok(put(store(), repo, index_manifest(10),
                        {child_ref(mdigest(1)), child_ref(mdigest(2))}, sparse)));
  EXPECT_EQ(store().resolve_tag(repo, "multi").value_or(Digest{}), mdigest(10));
  // The present child is protected like any other; the absent one, once
  // pushed, is too.
  EXPECT_EQ(store().parents_of(repo, mdigest(1)).value(), std::vector<Digest>{mdigest(10)});
  EXPECT_TRUE(has_code(store().delete_manifest(repo, mdigest(1)), ErrorCode::kReferencedByIndex));
  ASSERT_TRUE(is_ok(put(store(), repo, image(2))));
  EXPECT_TRUE(has_code(store().delete_manifest(repo, mdigest(2)), ErrorCode::kReferencedByIndex));
}

TEST_P(MetaStoreConformance, ForeignLayersAreNotRequired) {
  RepositoryId repo = make_repo(store(), "r");
  link(store(), repo, 1);
  ManifestReference foreign = blob_ref(2);
  foreign.required = false;  // a non-distributable layer, never pushed
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {blob_ref(1), foreign}, with_tag("v1"))));
  EXPECT_EQ(store().resolve_tag(repo, "v1").value_or(Digest{}), mdigest(1));
  // A required one still is.
  EXPECT_TRUE(has_code(put(store(), repo, image(2), {blob_ref(3)}), ErrorCode::kManifestBlobUnknown));
}

TEST_P(MetaStoreConformance, RePutIsIdempotentAndKeepsPushedAt) {
  RepositoryId repo = make_repo(store(), "r");
  link(store(), repo, 1);
  ASSERT_TRUE(is_ok(put(store(), repo, image(1, kNow), {blob_ref(1)})));
  ASSERT_TRUE(is_ok(put(store(), repo, image(1, kNow + 500), {blob_ref(1)}, with_tag("late"))));
  ASSERT_OK_AND_ASSIGN(got, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(got.pushed_at_ms, kNow);
  EXPECT_EQ(store().count_manifests(repo).value_or(0), 1u);
  EXPECT_EQ(store().tags_of(repo, mdigest(1)).value(), strings({"late"}));
}

// ---- tags ----

TEST_P(MetaStoreConformance, TagsMoveAndImmutability) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {}, with_tag("v1"))));
  ASSERT_TRUE(is_ok(put(store(), repo, image(2), {}, with_tag("v1"))));  // moves v1
  EXPECT_EQ(store().resolve_tag(repo, "v1").value_or(Digest{}), mdigest(2));
  EXPECT_TRUE(store().tags_of(repo, mdigest(1)).value().empty());
  EXPECT_EQ(store().tags_of(repo, mdigest(2)).value(), strings({"v1"}));

  Status immutable = store().put_tag(repo, "v1", mdigest(1), true);
  ASSERT_TRUE(has_code(immutable, ErrorCode::kTagImmutable));
  EXPECT_EQ(immutable.error().detail, "v1");
  EXPECT_EQ(store().resolve_tag(repo, "v1").value_or(Digest{}), mdigest(2));
  // ECR refuses a re-push to an existing immutable tag even with the same digest.
  EXPECT_TRUE(has_code(store().put_tag(repo, "v1", mdigest(2), true), ErrorCode::kTagImmutable));
  EXPECT_TRUE(is_ok(store().put_tag(repo, "new", mdigest(1), true)));  // new tag: fine

  // An immutable clash rolls back the manifest too.
  EXPECT_TRUE(
      has_code(put(store(), repo, image(3), {}, with_tag("v1", true)), ErrorCode::kTagImmutable));
  EXPECT_TRUE(has_code(store().get_manifest(repo, mdigest(3)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(
      has_code(put(store(), repo, image(2), {}, with_tag("v1", true)), ErrorCode::kTagImmutable));

  ASSERT_TRUE(is_ok(store().put_tag(repo, "v1", mdigest(1), false)));
  EXPECT_EQ(store().resolve_tag(repo, "v1").value_or(Digest{}), mdigest(1));
  EXPECT_EQ(store().tags_of(repo, mdigest(1)).value(), strings({"new", "v1"}));
  EXPECT_TRUE(
      has_code(store().put_tag(repo, "x", mdigest(9), false), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().put_tag(repo, "", mdigest(1), false), ErrorCode::kTagInvalid));
  EXPECT_TRUE(has_code(store().resolve_tag(repo, "x"), ErrorCode::kManifestNotFound));
}

TEST_P(MetaStoreConformance, ListTagsPagination) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  for (const char* tag : {"v2", "latest", "v10", "V1", "v1", "1.0"}) {
    ASSERT_TRUE(is_ok(store().put_tag(repo, tag, mdigest(1), false)));
  }
  EXPECT_EQ(store().list_tags(repo, "", 100).value(),
            strings({"1.0", "V1", "latest", "v1", "v10", "v2"}));
  EXPECT_EQ(store().list_tags(repo, "latest", 2).value(), strings({"v1", "v10"}));
  EXPECT_EQ(store().list_tags(repo, "v", 100).value(), strings({"v1", "v10", "v2"}));
  EXPECT_TRUE(store().list_tags(repo, "v2", 100).value().empty());
  EXPECT_TRUE(store().list_tags(repo, "", 0).value().empty());
  EXPECT_TRUE(store().list_tags(repo + 1000, "", 10).value().empty());
}

TEST_P(MetaStoreConformance, DeleteTag) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {}, with_tag("v1"))));
  ASSERT_TRUE(is_ok(store().delete_tag(repo, "v1")));
  EXPECT_TRUE(has_code(store().resolve_tag(repo, "v1"), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(is_ok(store().get_manifest(repo, mdigest(1))));
  EXPECT_TRUE(has_code(store().delete_tag(repo, "v1"), ErrorCode::kManifestNotFound));
}

// ---- deleting manifests ----

TEST_P(MetaStoreConformance, DeleteManifestRemovesTagsAndReferences) {
  RepositoryId repo = make_repo(store(), "r");
  PutManifestOptions lenient = with_tag("a");
  lenient.allow_missing_blobs = true;
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {blob_ref(1), blob_ref(2)}, lenient)));
  ASSERT_TRUE(is_ok(store().put_tag(repo, "b", mdigest(1), false)));
  ASSERT_TRUE(is_ok(put(store(), repo, image(2), {blob_ref(2)}, lenient)));  // keeps blob 2
  EXPECT_EQ(walked_blobs(store()), (std::vector<Digest>{blob(1), blob(2)}));

  ASSERT_TRUE(is_ok(store().delete_manifest(repo, mdigest(1))));
  EXPECT_TRUE(has_code(store().get_manifest(repo, mdigest(1)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().resolve_tag(repo, "b"), ErrorCode::kManifestNotFound));
  EXPECT_EQ(store().resolve_tag(repo, "a").value_or(Digest{}), mdigest(2));  // moved earlier
  EXPECT_TRUE(store().tags_of(repo, mdigest(1)).value().empty());
  EXPECT_EQ(store().list_tags(repo, "", 10).value(), strings({"a"}));
  EXPECT_EQ(walked_blobs(store()), std::vector<Digest>{blob(2)});
  EXPECT_TRUE(has_code(store().delete_manifest(repo, mdigest(1)), ErrorCode::kManifestNotFound));
  EXPECT_EQ(store().count_manifests(repo).value_or(9), 1u);
}

TEST_P(MetaStoreConformance, ChildOfIndexIsProtected) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  ASSERT_TRUE(is_ok(put(store(), repo, index_manifest(20), {child_ref(mdigest(1))})));
  ASSERT_TRUE(is_ok(put(store(), repo, index_manifest(10), {child_ref(mdigest(1))})));
  EXPECT_EQ(store().parents_of(repo, mdigest(1)).value(),
            (std::vector<Digest>{mdigest(10), mdigest(20)}));

  Status status = store().delete_manifest(repo, mdigest(1));
  ASSERT_TRUE(has_code(status, ErrorCode::kReferencedByIndex));
  EXPECT_TRUE(status.error().detail == mdigest(10).str() ||
              status.error().detail == mdigest(20).str())
      << status.error().detail;
  EXPECT_TRUE(is_ok(store().get_manifest(repo, mdigest(1))));

  ASSERT_TRUE(is_ok(store().delete_manifest(repo, mdigest(10))));
  status = store().delete_manifest(repo, mdigest(1));
  ASSERT_TRUE(has_code(status, ErrorCode::kReferencedByIndex));
  EXPECT_EQ(status.error().detail, mdigest(20).str());
  ASSERT_TRUE(is_ok(store().delete_manifest(repo, mdigest(20))));
  EXPECT_TRUE(store().parents_of(repo, mdigest(1)).value().empty());
  EXPECT_TRUE(is_ok(store().delete_manifest(repo, mdigest(1))));
}

// ---- listings ----

TEST_P(MetaStoreConformance, ListManifestsPagination) {
  RepositoryId repo = make_repo(store(), "r");
  for (std::uint64_t n : {5, 3, 1, 4, 2}) ASSERT_TRUE(is_ok(put(store(), repo, image(n))));
  ASSERT_TRUE(is_ok(store().put_tag(repo, "z", mdigest(3), false)));
  ASSERT_TRUE(is_ok(store().put_tag(repo, "a", mdigest(3), false)));
  ASSERT_TRUE(is_ok(store().put_tag(repo, "b", mdigest(4), false)));
  RepositoryId other = make_repo(store(), "o");
  ASSERT_TRUE(is_ok(put(store(), other, image(6))));
  // The same image tagged in another repository: its tags stay there.
  ASSERT_TRUE(is_ok(put(store(), other, image(3))));
  ASSERT_TRUE(is_ok(store().put_tag(other, "elsewhere", mdigest(3), false)));

  std::vector<Digest> seen;
  std::string after;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(page, store().list_manifests(repo, after, 2));
    ASSERT_LE(page.size(), 2u);
    if (page.empty()) break;
    for (const auto& summary : page) {
      seen.push_back(summary.manifest.digest);
      EXPECT_TRUE(summary.manifest.content.empty());
      EXPECT_EQ(summary.manifest.size, image(0).size);
      EXPECT_EQ(summary.manifest.media_type, oci::media_types::kOciManifest);
      EXPECT_EQ(summary.tags, summary.manifest.digest == mdigest(3)   ? strings({"a", "z"})
                              : summary.manifest.digest == mdigest(4) ? strings({"b"})
                                                                      : strings({}));
    }
    after = page.back().manifest.digest.str();
  }
  EXPECT_EQ(seen,
            (std::vector<Digest>{mdigest(1), mdigest(2), mdigest(3), mdigest(4), mdigest(5)}));
  EXPECT_EQ(store().list_manifests(repo, mdigest(4).str(), 10).value().size(), 1u);
}

TEST_P(MetaStoreConformance, ListReferrersBySubject) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  for (std::uint64_t n : {30, 20}) {
    ManifestRecord sig = image(n);
    sig.artifact_type = "application/vnd.example.sig";
    sig.subject = mdigest(1);
    ASSERT_TRUE(is_ok(put(store(), repo, sig)));
  }
  ManifestRecord unrelated = image(40);
  unrelated.subject = mdigest(2);
  ASSERT_TRUE(is_ok(put(store(), repo, unrelated)));

  ASSERT_OK_AND_ASSIGN(referrers, store().list_referrers(repo, mdigest(1)));
  ASSERT_EQ(referrers.size(), 2u);
  EXPECT_EQ(referrers[0].digest, mdigest(20));
  EXPECT_EQ(referrers[1].digest, mdigest(30));
  EXPECT_EQ(referrers[0].content, image(20).content);
  EXPECT_EQ(referrers[0].artifact_type, "application/vnd.example.sig");
  EXPECT_TRUE(store().list_referrers(repo, mdigest(40)).value().empty());

  ASSERT_TRUE(is_ok(store().delete_manifest(repo, mdigest(20))));
  ASSERT_OK_AND_ASSIGN(after_delete, store().list_referrers(repo, mdigest(1)));
  ASSERT_EQ(after_delete.size(), 1u);
  EXPECT_EQ(after_delete[0].digest, mdigest(30));
}

TEST_P(MetaStoreConformance, RecordPull) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  ASSERT_TRUE(is_ok(store().record_pull(repo, mdigest(1), kNow + 10)));
  ASSERT_OK_AND_ASSIGN(got, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(got.last_pulled_at_ms, kNow + 10);
  EXPECT_EQ(got.content, image(1).content);
  EXPECT_TRUE(has_code(store().record_pull(repo, mdigest(2), kNow), ErrorCode::kManifestNotFound));
}

TEST_P(MetaStoreConformance, UnknownRepositoryReadsAreNotFound) {
  RepositoryId missing = 424242;
  EXPECT_TRUE(has_code(store().get_manifest(missing, mdigest(1)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().resolve_tag(missing, "v1"), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().get_blob_link(missing, blob(1)), ErrorCode::kBlobNotFound));
  EXPECT_TRUE(
      has_code(store().put_tag(missing, "v1", mdigest(1), false), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().delete_manifest(missing, mdigest(1)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(store().list_manifests(missing, "", 10).value().empty());
  EXPECT_TRUE(store().tags_of(missing, mdigest(1)).value().empty());
  EXPECT_TRUE(store().parents_of(missing, mdigest(1)).value().empty());
  EXPECT_TRUE(store().list_referrers(missing, mdigest(1)).value().empty());
}

// ---- uploads ----

TEST_P(MetaStoreConformance, Uploads) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(store().create_upload({"u1", repo, kNow})));
  ASSERT_TRUE(is_ok(store().create_upload({"u2", repo, kNow + 1})));
  EXPECT_TRUE(has_code(store().create_upload({"u1", repo, kNow}), ErrorCode::kAlreadyExists));
  EXPECT_TRUE(
      has_code(store().create_upload({"u3", repo + 1000, kNow}), ErrorCode::kRepositoryNotFound));
  ASSERT_OK_AND_ASSIGN(u2, store().get_upload("u2"));
  EXPECT_EQ(u2.id, "u2");
  EXPECT_EQ(u2.repository, repo);
  EXPECT_EQ(u2.started_at_ms, kNow + 1);
  EXPECT_TRUE(has_code(store().get_upload("nope"), ErrorCode::kUploadNotFound));

  // A failing visitor stops the walk and its error comes back.
  int visits = 0;
  Status stopped = store().walk_uploads([&](const UploadRecord&) -> Status {
    ++visits;
    return fail(ErrorCode::kLimitExceeded, "stop");
  });
  EXPECT_TRUE(has_code(stopped, ErrorCode::kLimitExceeded));
  EXPECT_EQ(visits, 1);

  // GC deletes stale uploads from inside the walk: re-entry must work.
  std::set<std::string> seen;
  ASSERT_TRUE(is_ok(store().walk_uploads([&](const UploadRecord& upload) -> Status {
    seen.insert(upload.id);
    return store().delete_upload(upload.id);
  })));
  EXPECT_EQ(seen, (std::set<std::string>{"u1", "u2"}));
  EXPECT_TRUE(has_code(store().get_upload("u1"), ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().delete_upload("u1"), ErrorCode::kUploadNotFound));
}

TEST_P(MetaStoreConformance, UploadLeaseExcludesOthersUntilReleasedOrExpired) {
  RepositoryId repo = make_repo(store(), "r");
  UploadRecord created{"u1", repo, kNow};
  created.lease_holder = "creator";
  created.lease_expires_at_ms = kNow + 1000;
  ASSERT_TRUE(is_ok(store().create_upload(created)));
  // Held from creation: another holder is refused, the creator may renew.
  EXPECT_TRUE(has_code(store().acquire_upload_lease("u1", "other", kNow + 10, 1000),
                       ErrorCode::kRangeInvalid));
  ASSERT_OK_AND_ASSIGN(renewed, store().acquire_upload_lease("u1", "creator", kNow + 10, 1000));
  EXPECT_EQ(renewed.lease_expires_at_ms, kNow + 1010);
  // Released with the size it was saved at: free for the next request.
  ASSERT_TRUE(is_ok(store().release_upload_lease("u1", "creator", 4096)));
  ASSERT_OK_AND_ASSIGN(next, store().acquire_upload_lease("u1", "second", kNow + 20, 1000));
  EXPECT_EQ(next.saved_size, 4096u);
  EXPECT_EQ(next.lease_holder, "second");
  // A release by someone who does not hold it changes nothing.
  ASSERT_TRUE(is_ok(store().release_upload_lease("u1", "creator", 1)));
  EXPECT_TRUE(has_code(store().acquire_upload_lease("u1", "third", kNow + 30, 1000),
                       ErrorCode::kRangeInvalid));
  // A lease past its expiry (its holder died) is free to take.
  ASSERT_OK_AND_ASSIGN(taken, store().acquire_upload_lease("u1", "third", kNow + 2000, 1000));
  EXPECT_EQ(taken.lease_holder, "third");
  EXPECT_EQ(taken.saved_size, 4096u);
  // Releasing without a size keeps the last one.
  ASSERT_TRUE(is_ok(store().release_upload_lease("u1", "third", std::nullopt)));
  EXPECT_EQ(store().get_upload("u1")->saved_size, 4096u);
  EXPECT_TRUE(store().get_upload("u1")->lease_holder.empty());
  EXPECT_TRUE(has_code(store().acquire_upload_lease("nope", "x", kNow, 1000),
                       ErrorCode::kUploadNotFound));
  EXPECT_TRUE(has_code(store().release_upload_lease("nope", "x", 1), ErrorCode::kUploadNotFound));
}

TEST_P(MetaStoreConformance, UploadPartsCountTheSavesThatGrewIt) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(store().create_upload({"u1", repo, kNow})));
  EXPECT_EQ(store().get_upload("u1")->parts, 0u);
  auto save = [&](std::string holder, std::optional<std::uint64_t> size) {
    ASSERT_TRUE(is_ok(store().acquire_upload_lease("u1", holder, kNow, 1000)));
    ASSERT_TRUE(is_ok(store().release_upload_lease("u1", holder, size)));
  };
  save("a", 100);
  save("b", 250);
  EXPECT_EQ(store().get_upload("u1")->parts, 2u);
  // Nothing written (an empty chunk), a release without a size, or a
  // release by a request that does not hold the lease: no part.
  save("c", 250);
  save("d", std::nullopt);
  ASSERT_TRUE(is_ok(store().release_upload_lease("u1", "not-holding", 999)));
  ASSERT_OK_AND_ASSIGN(after, store().acquire_upload_lease("u1", "e", kNow, 1000));
  EXPECT_EQ(after.parts, 2u);
  EXPECT_EQ(after.saved_size, 250u);
  ASSERT_TRUE(is_ok(store().release_upload_lease("u1", "e", 300)));
  EXPECT_EQ(store().get_upload("u1")->parts, 3u);
}

TEST_P(MetaStoreConformance, ClearingLeasesFreesEveryUploadAndKeepsSavedSizes) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(store().create_upload({"a", repo, kNow})));
  ASSERT_TRUE(is_ok(store().create_upload({"b", repo, kNow})));
  ASSERT_TRUE(is_ok(store().create_upload({"c", repo, kNow})));
  ASSERT_TRUE(is_ok(store().acquire_upload_lease("a", "dead-1", kNow, 60000)));
  ASSERT_TRUE(is_ok(store().acquire_upload_lease("b", "dead-2", kNow, 60000)));
  ASSERT_TRUE(is_ok(store().release_upload_lease("b", "dead-2", 77)));
  ASSERT_TRUE(is_ok(store().acquire_upload_lease("b", "dead-3", kNow, 60000)));
  ASSERT_OK_AND_ASSIGN(cleared, store().clear_upload_leases());
  EXPECT_EQ(cleared, 2u);
  ASSERT_OK_AND_ASSIGN(a, store().acquire_upload_lease("a", "new", kNow + 1, 60000));
  EXPECT_EQ(a.lease_holder, "new");
  ASSERT_OK_AND_ASSIGN(b, store().acquire_upload_lease("b", "new", kNow + 1, 60000));
  EXPECT_EQ(b.saved_size, 77u);
}

TEST_P(MetaStoreConformance, RacingLeaseTakersGetExactlyOneLease) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(store().create_upload({"race", repo, kNow})));
  constexpr int kThreads = 8;
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto lease = store().acquire_upload_lease("race", "h" + std::to_string(t), kNow, 60000);
      if (lease) {
        ++winners;
      } else {
        EXPECT_EQ(lease.error().code, ErrorCode::kRangeInvalid);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
}

// ---- garbage collection ----

std::vector<Digest> due_digests(MetaStore& store, std::int64_t due_ms) {
  std::vector<Digest> out;
  auto page = store.due_blob_reviews(due_ms, "", 1000);
  EXPECT_TRUE(is_ok(page));
  if (page) {
    for (const auto& review : *page) out.push_back(review.digest);
  }
  return out;
}

TEST_P(MetaStoreConformance, DroppedReferencesQueueBlobsAndClaimsDecideWhatGoes) {
  const std::int64_t later = now_ms() + 60'000;
  RepositoryId a = make_repo(store(), "a");
  RepositoryId b = make_repo(store(), "b");
  link(store(), a, 1);  // a mount or upload: queued, live for the grace period
  EXPECT_EQ(due_digests(store(), later), std::vector<Digest>{blob(1)});
  EXPECT_EQ(store().due_blob_reviews(later, "", 10)->front().registry, kRegistry);
  link(store(), b, 1);
  ASSERT_TRUE(is_ok(put(store(), b, image(1), {blob_ref(1)})));
  ASSERT_TRUE(is_ok(store().unlink_blob(a, blob(1))));
  // A manifest in b references it: kept, and it leaves the queue.
  ASSERT_OK_AND_ASSIGN(kept, store().claim_blob(blob(1), later));
  EXPECT_EQ(kept, storage::meta::BlobVerdict::kKeep);
  EXPECT_TRUE(due_digests(store(), later).empty());

  ASSERT_TRUE(is_ok(store().delete_manifest(b, mdigest(1))));
  ASSERT_OK_AND_ASSIGN(referenced, store().blob_referenced(blob(1)));
  EXPECT_FALSE(referenced);
  // Not due yet at an earlier time: kept, and still queued.
  ASSERT_OK_AND_ASSIGN(early, store().claim_blob(blob(1), 0));
  EXPECT_EQ(early, storage::meta::BlobVerdict::kKeep);
  EXPECT_EQ(due_digests(store(), later), std::vector<Digest>{blob(1)});
  // Only linked (in b) past the grace period: collected, links and all.
  ASSERT_OK_AND_ASSIGN(collect, store().claim_blob(blob(1), later));
  EXPECT_EQ(collect, storage::meta::BlobVerdict::kCollect);
  EXPECT_TRUE(has_code(store().get_blob_link(b, blob(1)), ErrorCode::kBlobNotFound));
  EXPECT_EQ(store().blob_tombstones("", 10).value(), std::vector<Digest>{blob(1)});
  // While tombstoned, nothing may link it again.
  EXPECT_TRUE(has_code(store().link_blob(a, blob(1), 101, kNow), ErrorCode::kUnavailable));
  ASSERT_TRUE(is_ok(store().create_upload({"u", a, kNow})));
  EXPECT_TRUE(has_code(store().link_uploaded_blob("u", a, blob(1), 101, kNow),
                       ErrorCode::kUnavailable));
  ASSERT_TRUE(is_ok(store().finish_blob_collection(blob(1))));
  EXPECT_TRUE(store().blob_tombstones("", 10).value().empty());
  EXPECT_TRUE(is_ok(store().link_blob(a, blob(1), 101, kNow)));
  // A claim of a blob nobody queued is a no-op.
  ASSERT_OK_AND_ASSIGN(unqueued, store().claim_blob(blob(9), later));
  EXPECT_EQ(unqueued, storage::meta::BlobVerdict::kKeep);
}

TEST_P(MetaStoreConformance, DeletingManifestsAndRepositoriesQueuesTheirBlobs) {
  const std::int64_t later = now_ms() + 60'000;
  RepositoryId repo = make_repo(store(), "r");
  RepositoryId other = make_repo(store(), "o");
  link(store(), repo, 1);
  link(store(), repo, 2);
  link(store(), repo, 3);
  link(store(), other, 2);
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {blob_ref(1), blob_ref(2)}, with_tag("v1"))));
  ASSERT_TRUE(is_ok(put(store(), other, image(2), {blob_ref(2)})));
  for (const Digest& d : due_digests(store(), later)) {
    EXPECT_EQ(store().claim_blob(d, later).value(),
              d == blob(3) ? storage::meta::BlobVerdict::kCollect : storage::meta::BlobVerdict::kKeep)
        << d.str();
  }
  EXPECT_TRUE(due_digests(store(), later).empty());
  ASSERT_TRUE(is_ok(store().delete_manifest(repo, mdigest(1))));
  EXPECT_EQ(due_digests(store(), later), (std::vector<Digest>{blob(1), blob(2)}));
  ASSERT_TRUE(is_ok(store().delete_repository(repo)));
  EXPECT_EQ(due_digests(store(), later), (std::vector<Digest>{blob(1), blob(2)}));
  EXPECT_EQ(store().claim_blob(blob(1), later).value(), storage::meta::BlobVerdict::kCollect);
  // Still referenced by the other repository's manifest.
  EXPECT_EQ(store().claim_blob(blob(2), later).value(), storage::meta::BlobVerdict::kKeep);
  EXPECT_TRUE(is_ok(store().get_blob_link(other, blob(2))));
  // Re-queued with a later time, a review waits for it.
  ASSERT_TRUE(is_ok(store().queue_blob_review(blob(7), later + 5, "x")));
  EXPECT_TRUE(due_digests(store(), later).empty());
  EXPECT_EQ(due_digests(store(), later + 5), std::vector<Digest>{blob(7)});
}

TEST_P(MetaStoreConformance, DeletingASubjectTakesItsReferrersUnlessAnIndexListsThem) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {}, with_tag("v1"))));
  ManifestRecord signature = image(2);
  signature.subject = mdigest(1);
  ASSERT_TRUE(is_ok(put(store(), repo, signature)));
  ManifestRecord signature_of_signature = image(3);
  signature_of_signature.subject = mdigest(2);
  ASSERT_TRUE(is_ok(put(store(), repo, signature_of_signature)));
  ManifestRecord listed = image(4);
  listed.subject = mdigest(1);
  ASSERT_TRUE(is_ok(put(store(), repo, listed)));
  ASSERT_TRUE(is_ok(put(store(), repo, index_manifest(5), {child_ref(mdigest(4))})));
  ASSERT_TRUE(is_ok(store().delete_manifest(repo, mdigest(1))));
  EXPECT_TRUE(has_code(store().get_manifest(repo, mdigest(2)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(has_code(store().get_manifest(repo, mdigest(3)), ErrorCode::kManifestNotFound));
  EXPECT_TRUE(is_ok(store().get_manifest(repo, mdigest(4))));  // an index still needs it
  EXPECT_TRUE(is_ok(store().get_manifest(repo, mdigest(5))));
}

TEST_P(MetaStoreConformance, JobLeasesLetOneHolderAtATime) {
  ASSERT_OK_AND_ASSIGN(first, store().acquire_job_lease("gc", "p1", kNow, 1000));
  EXPECT_TRUE(first);
  ASSERT_OK_AND_ASSIGN(second, store().acquire_job_lease("gc", "p2", kNow + 10, 1000));
  EXPECT_FALSE(second);
  ASSERT_OK_AND_ASSIGN(renewed, store().acquire_job_lease("gc", "p1", kNow + 20, 1000));
  EXPECT_TRUE(renewed);
  ASSERT_OK_AND_ASSIGN(other_job, store().acquire_job_lease("lifecycle", "p2", kNow, 1000));
  EXPECT_TRUE(other_job);
  ASSERT_OK_AND_ASSIGN(expired, store().acquire_job_lease("gc", "p2", kNow + 1020, 1000));
  EXPECT_TRUE(expired);
  ASSERT_TRUE(is_ok(store().release_job_lease("gc", "p1")));  // not p1's any more: no-op
  ASSERT_OK_AND_ASSIGN(still_p2, store().acquire_job_lease("gc", "p1", kNow + 1030, 1000));
  EXPECT_FALSE(still_p2);
  ASSERT_TRUE(is_ok(store().release_job_lease("gc", "p2")));
  ASSERT_OK_AND_ASSIGN(free, store().acquire_job_lease("gc", "p1", kNow + 1040, 1000));
  EXPECT_TRUE(free);
}

TEST_P(MetaStoreConformance, WalkReferencedBlobsVisitsEachOnce) {
  RepositoryId a = make_repo(store(), "a");
  RepositoryId b = make_repo(store(), "b");
  link(store(), a, 1);
  link(store(), b, 1);  // linked twice
  link(store(), a, 2);
  PutManifestOptions lenient;
  lenient.allow_missing_blobs = true;
  ASSERT_TRUE(is_ok(put(store(), a, image(1), {blob_ref(1), blob_ref(3)}, lenient)));
  ASSERT_TRUE(is_ok(put(store(), b, image(1), {blob_ref(1), blob_ref(3)}, lenient)));
  EXPECT_EQ(walked_blobs(store()), (std::vector<Digest>{blob(1), blob(2), blob(3)}));

  // Re-entering the store from the visitor works.
  Status walk = store().walk_referenced_blobs([&](const Digest& d) -> Status {
    return store().get_blob_link(a, d).has_value() || d == blob(3)
               ? ok()
               : fail(ErrorCode::kInternal, "unexpected", d.str());
  });
  EXPECT_TRUE(is_ok(walk));
}

// ---- concurrency and scale ----

TEST_P(MetaStoreConformance, RacingPutTagLeavesOneConsistentWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 25;
  RepositoryId repo = make_repo(store(), "r");
  for (int t = 0; t < kThreads; ++t) ASSERT_TRUE(is_ok(put(store(), repo, image(t))));

  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kRounds; ++i) {
        bool ok_put = i % 2 == 0 ? store().put_tag(repo, "race", mdigest(t), false).has_value()
                                 : put(store(), repo, image(t), {}, with_tag("race")).has_value();
        if (!ok_put) ++failures;
        // Readers in between must always see the tag on exactly one manifest.
        if (auto d = store().resolve_tag(repo, "race"); !d) ++failures;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  ASSERT_OK_AND_ASSIGN(winner, store().resolve_tag(repo, "race"));
  int holders = 0;
  for (int t = 0; t < kThreads; ++t) {
    auto tags = store().tags_of(repo, mdigest(t)).value();
    if (mdigest(t) == winner) {
      EXPECT_EQ(tags, strings({"race"}));
      ++holders;
    } else {
      EXPECT_TRUE(tags.empty()) << "stale tag on manifest " << t;
    }
  }
  EXPECT_EQ(holders, 1);
  EXPECT_EQ(store().list_tags(repo, "", 10).value(), strings({"race"}));
}

TEST_P(MetaStoreConformance, TwentyThousandTagsPaginate) {
  constexpr int kTags = 20000;
  RepositoryId repo = make_repo(store(), "big");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  std::vector<int> order(kTags);
  for (int i = 0; i < kTags; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  for (int i : order) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "t%05d", i);
    ASSERT_TRUE(is_ok(store().put_tag(repo, tag, mdigest(1), false)));
  }
  std::size_t total = 0;
  std::string after;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(page, store().list_tags(repo, after, 1000));
    if (page.empty()) break;
    ASSERT_LE(page.size(), 1000u);
    for (const std::string& tag : page) {
      ASSERT_GT(tag, after);
      char expected[16];
      std::snprintf(expected, sizeof expected, "t%05zu", total);
      ASSERT_EQ(tag, expected);
      after = tag;
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kTags));
  ASSERT_OK_AND_ASSIGN(listed, store().list_manifests(repo, "", 10));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].tags.size(), static_cast<std::size_t>(kTags));
}

}  // namespace berth::conformance

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MetaStoreConformance);

// ---- storage classes and repository documents ----

namespace berth::conformance {

using storage::meta::StorageClass;

TEST_P(MetaStoreConformance, StorageClassIsStandardUntilSetAndTravelsWithTheRecord) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1), {}, with_tag("v1"))));
  ASSERT_OK_AND_ASSIGN(fresh, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(fresh.storage_class, StorageClass::kStandard);
  EXPECT_EQ(fresh.last_archived_at_ms, 0);
  EXPECT_EQ(fresh.last_activated_at_ms, 0);

  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(1), StorageClass::kArchive, kNow + 10)));
  ASSERT_OK_AND_ASSIGN(archived, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(archived.storage_class, StorageClass::kArchive);
  EXPECT_EQ(archived.last_archived_at_ms, kNow + 10);
  EXPECT_EQ(archived.last_activated_at_ms, 0);
  EXPECT_EQ(archived.content, image(1).content);  // nothing else changes
  EXPECT_EQ(archived.pushed_at_ms, kNow);
  ASSERT_OK_AND_ASSIGN(page, store().list_manifests(repo, "", 10));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].manifest.storage_class, StorageClass::kArchive);
  EXPECT_EQ(page[0].manifest.last_archived_at_ms, kNow + 10);
  EXPECT_EQ(page[0].tags, strings({"v1"}));

  // A restore stamps the time it is over, which may lie ahead.
  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(1), StorageClass::kStandard, kNow + 99)));
  ASSERT_OK_AND_ASSIGN(restored, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(restored.storage_class, StorageClass::kStandard);
  EXPECT_EQ(restored.last_archived_at_ms, kNow + 10);
  EXPECT_EQ(restored.last_activated_at_ms, kNow + 99);

  EXPECT_TRUE(has_code(store().set_storage_class(repo, mdigest(2), StorageClass::kArchive, kNow),
                       ErrorCode::kManifestNotFound));
}

TEST_P(MetaStoreConformance, ArchivingTakesReferrersAndWaitsForTheIndexesThatListAChild) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  ManifestRecord signature = image(2);
  signature.subject = mdigest(1);
  ASSERT_TRUE(is_ok(put(store(), repo, signature)));
  ManifestRecord signature_of_signature = image(3);
  signature_of_signature.subject = mdigest(2);
  ASSERT_TRUE(is_ok(put(store(), repo, signature_of_signature)));
  ManifestRecord listed = image(4);
  listed.subject = mdigest(1);
  ASSERT_TRUE(is_ok(put(store(), repo, listed)));
  ASSERT_TRUE(is_ok(put(store(), repo, index_manifest(5), {child_ref(mdigest(4))})));
  ASSERT_TRUE(is_ok(put(store(), repo, image(6))));  // unrelated

  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(1), StorageClass::kArchive, kNow + 1)));
  for (std::uint64_t n : {1, 2, 3}) {
    ASSERT_OK_AND_ASSIGN(m, store().get_manifest(repo, mdigest(n)));
    EXPECT_EQ(m.storage_class, StorageClass::kArchive) << n;
    EXPECT_EQ(m.last_archived_at_ms, kNow + 1) << n;
  }
  for (std::uint64_t n : {4, 5, 6}) {  // an index lists 4: it stays with the index
    ASSERT_OK_AND_ASSIGN(m, store().get_manifest(repo, mdigest(n)));
    EXPECT_EQ(m.storage_class, StorageClass::kStandard) << n;
  }
  // A child goes to the archive only after every index of the standard
  // class that lists it.
  auto refused = store().set_storage_class(repo, mdigest(4), StorageClass::kArchive, kNow + 2);
  ASSERT_TRUE(has_code(refused, ErrorCode::kReferencedByIndex));
  EXPECT_EQ(refused.error().detail, mdigest(5).str());
  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(5), StorageClass::kArchive, kNow + 3)));
  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(4), StorageClass::kArchive, kNow + 4)));

  // Restoring takes the referrers back too.
  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(1), StorageClass::kStandard, kNow + 5)));
  for (std::uint64_t n : {1, 2, 3}) {
    ASSERT_OK_AND_ASSIGN(m, store().get_manifest(repo, mdigest(n)));
    EXPECT_EQ(m.storage_class, StorageClass::kStandard) << n;
    EXPECT_EQ(m.last_activated_at_ms, kNow + 5) << n;
  }
  ASSERT_OK_AND_ASSIGN(still, store().get_manifest(repo, mdigest(4)));
  EXPECT_EQ(still.storage_class, StorageClass::kArchive);
}

TEST_P(MetaStoreConformance, PuttingAnArchivedManifestAgainRestoresItAtOnce) {
  RepositoryId repo = make_repo(store(), "r");
  ASSERT_TRUE(is_ok(put(store(), repo, image(1))));
  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(1), StorageClass::kArchive, kNow + 1)));
  ASSERT_TRUE(is_ok(put(store(), repo, image(1, kNow + 50), {}, with_tag("again"))));
  ASSERT_OK_AND_ASSIGN(m, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(m.storage_class, StorageClass::kStandard);
  EXPECT_EQ(m.last_activated_at_ms, kNow + 50);
  EXPECT_EQ(m.last_archived_at_ms, kNow + 1);
  EXPECT_EQ(m.pushed_at_ms, kNow);  // still the first push
  ASSERT_OK_AND_ASSIGN(tags, store().tags_of(repo, mdigest(1)));
  EXPECT_EQ(tags, strings({"again"}));

  // A restore still under way ends at the push.
  ASSERT_TRUE(is_ok(store().set_storage_class(repo, mdigest(1), StorageClass::kStandard, kNow + 900)));
  ASSERT_TRUE(is_ok(put(store(), repo, image(1, kNow + 60))));
  ASSERT_OK_AND_ASSIGN(n, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(n.last_activated_at_ms, kNow + 60);

  // An active image's re-put changes none of it.
  ASSERT_TRUE(is_ok(put(store(), repo, image(1, kNow + 70))));
  ASSERT_OK_AND_ASSIGN(o, store().get_manifest(repo, mdigest(1)));
  EXPECT_EQ(o.last_activated_at_ms, kNow + 60);
  EXPECT_EQ(o.storage_class, StorageClass::kStandard);
}

TEST_P(MetaStoreConformance, RepositoryDocumentsChangeInOneStepAndGoWithTheRepository) {
  RepositoryId repo = make_repo(store(), "r");
  RepositoryId other = make_repo(store(), "o");
  ASSERT_OK_AND_ASSIGN(none, store().get_repository_document(repo, "preview"));
  EXPECT_EQ(none, std::nullopt);

  std::string seen = "unset";
  auto set_to = [&](std::string text) {
    return [&seen, text](const std::string& current) -> Result<std::string> {
      seen = current;
      return text;
    };
  };
  ASSERT_OK_AND_ASSIGN(first, store().modify_repository_document(repo, "preview", set_to("one")));
  EXPECT_EQ(first, "one");
  EXPECT_EQ(seen, "");  // absent reads as empty
  ASSERT_TRUE(is_ok(store().modify_repository_document(repo, "preview", set_to("two"))));
  EXPECT_EQ(seen, "one");
  ASSERT_TRUE(is_ok(store().modify_repository_document(repo, "other", set_to("x"))));
  ASSERT_OK_AND_ASSIGN(two, store().get_repository_document(repo, "preview"));
  EXPECT_EQ(two, std::optional<std::string>("two"));
  ASSERT_OK_AND_ASSIGN(elsewhere, store().get_repository_document(other, "preview"));
  EXPECT_EQ(elsewhere, std::nullopt);

  // A refusal writes nothing.
  auto refused = store().modify_repository_document(
      repo, "preview", [](const std::string&) -> Result<std::string> {
        return fail(ErrorCode::kAlreadyExists, "busy");
      });
  EXPECT_TRUE(has_code(refused, ErrorCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(kept, store().get_repository_document(repo, "preview"));
  EXPECT_EQ(kept, std::optional<std::string>("two"));

  // "" deletes.
  ASSERT_TRUE(is_ok(store().modify_repository_document(repo, "preview", set_to(""))));
  ASSERT_OK_AND_ASSIGN(gone, store().get_repository_document(repo, "preview"));
  EXPECT_EQ(gone, std::nullopt);

  EXPECT_TRUE(has_code(store().get_repository_document(9'999'999, "preview"),
                       ErrorCode::kRepositoryNotFound));
  EXPECT_TRUE(has_code(store().modify_repository_document(9'999'999, "preview", set_to("x")),
                       ErrorCode::kRepositoryNotFound));

  ASSERT_TRUE(is_ok(store().delete_repository(repo)));
  RepositoryId again = make_repo(store(), "r");
  ASSERT_OK_AND_ASSIGN(fresh, store().get_repository_document(again, "other"));
  EXPECT_EQ(fresh, std::nullopt);
}

}  // namespace berth::conformance
