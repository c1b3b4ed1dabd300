// MetaStore lookups behind every pull: get_repository (each request),
// resolve_tag (pull by tag), get_manifest (the manifest bytes),
// get_manifest_by_tag (a pull by tag in one lookup), get_blob_link
// (HEAD/GET of a blob), and a tags/list page. SQLite on a temp file and
// memory, each filled once per size with one tagged manifest per entry, so
// one can see lookups stay flat as the repository grows; and PostgreSQL
// when BERTH_BENCH_POSTGRES_URL names a database (each size gets a schema
// of its own in it, berth_bench_<entries>, dropped and refilled each run;
// scripts/test-backends/postgres.sh starts a throwaway server), else those
// cases report that they were skipped.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>

#include "crypto/hasher.hpp"
#include "oci/digest.hpp"
#include "oci/media_types.hpp"
#include "sample_manifests.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "storage/meta/postgres/pg_meta_store.hpp"
#include "storage/meta/sqlite/sqlite_meta_store.hpp"

namespace berth::bench {
namespace {

namespace meta = storage::meta;

constexpr std::string_view kRegistry = "123456789012:us-east-1";
constexpr std::string_view kRepository = "team/app";
constexpr std::int64_t kPushedAtMs = 1735732800000;
constexpr std::size_t kTagsPageSize = 100;
// Lookups step through the keys with a stride coprime to every entry count
// used here (their only prime factors are 2 and 5), so successive iterations hit keys spread
// over the whole index rather than one hot row.
constexpr std::size_t kProbeStride = 7919;

enum class Backend { kSqlite, kMemory, kPostgres };

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::kSqlite: return "sqlite";
    case Backend::kMemory: return "memory";
    case Backend::kPostgres: return "postgres";
  }
  return "?";
}

// A fresh schema for one store in the database BERTH_BENCH_POSTGRES_URL
// names, and a URL whose search_path puts the store's tables there.
Result<std::string> postgres_schema_url(std::size_t entries) {
  const char* base = std::getenv("BERTH_BENCH_POSTGRES_URL");
  if (base == nullptr || *base == '\0') {
    return fail(ErrorCode::kUnavailable, "set BERTH_BENCH_POSTGRES_URL to measure PostgreSQL");
  }
  const std::string schema = "berth_bench_" + std::to_string(entries);
  PGconn* conn = PQconnectdb(base);
  std::string why;
  if (PQstatus(conn) != CONNECTION_OK) {
    why = PQerrorMessage(conn);
  } else {
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PGresult* done = PQexec(conn, ("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " +
                                   schema).c_str());
    if (PQresultStatus(done) != PGRES_COMMAND_OK) why = PQresultErrorMessage(done);
    PQclear(done);
  }
  PQfinish(conn);
  if (!why.empty()) return fail(ErrorCode::kUnavailable, "PostgreSQL: " + why);
  const std::string url = base;
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "options=-csearch_path%3D" + schema;
}

// A directory under the system temp dir holding the SQLite files, removed
// with everything in it (-wal and -shm files too) when the process exits.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::error_code error;
    path_ = std::filesystem::temp_directory_path(error) /
            ("berth-micro-bench-" + std::to_string(::getpid()));
    if (!error) std::filesystem::create_directories(path_, error);
    if (error) creation_error_ = error.message();
  }
  ~ScratchDirectory() {
    if (!creation_error_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  // kUnavailable when the directory could not be created.
  Result<std::filesystem::path> path() const {
    if (!creation_error_.empty()) {
      return fail(ErrorCode::kUnavailable, "cannot create a scratch directory: " + creation_error_);
    }
    return path_;
  }

 private:
  std::filesystem::path path_;
  std::string creation_error_;
};

// One repository holding `entries` manifests; entry i is tagged tags[i]
// and links blobs[i] (its first layer). Tags sort in index order.
struct FilledStore {
  std::unique_ptr<meta::MetaStore> store;
  meta::RepositoryId repository = 0;
  std::vector<std::string> tags;
  std::vector<oci::Digest> manifests;
  std::vector<oci::Digest> blobs;
  std::vector<std::uint64_t> blob_sizes;

  std::size_t probe(std::size_t iteration) const {
    return (iteration * kProbeStride) % manifests.size();
  }
};

// "build-000042": zero-padded so tags sort in the order they were pushed.
std::string build_tag(std::size_t index) {
  std::string number = std::to_string(index);
  return "build-" + std::string(number.size() < 6 ? 6 - number.size() : 0, '0') + number;
}

Status fill(FilledStore& filled, std::size_t entries) {
  auto repository = BERTH_TRY(filled.store->ensure_repository(kRegistry, kRepository, kPushedAtMs));
  filled.repository = repository.id;
  for (std::size_t i = 0; i < entries; ++i) {
    const SampleImage image = oci_image_manifest(i);
    meta::ManifestRecord record;
    record.digest = oci::Digest::from_hex(oci::DigestAlgorithm::kSha256,
                                          crypto::sha256_hex(image.content));
    record.media_type = image.media_type;
    record.config_media_type = std::string(oci::media_types::kOciConfig);
    record.size = image.content.size();
    record.image_size = image.content.size();
    record.pushed_at_ms = kPushedAtMs + static_cast<std::int64_t>(i);
    record.content = image.content;
    // No references: none of the lookups measured reads them, and their
    // rows would triple the SQLite fill time.
    const std::vector<meta::ManifestReference> references;
    meta::PutManifestOptions options;
    options.tags = {{build_tag(i)}};
    options.allow_missing_blobs = true;
    BERTH_TRY_STATUS(filled.store->put_manifest(filled.repository, record, references, options));
    const std::uint64_t blob_size = 1'000'000 + i;
    BERTH_TRY_STATUS(
        filled.store->link_blob(filled.repository, image.layers.front(), blob_size, kPushedAtMs));
    filled.tags.push_back(std::move(options.tags.front().name));
    filled.manifests.push_back(std::move(record.digest));
    filled.blobs.push_back(image.layers.front());
    filled.blob_sizes.push_back(blob_size);
  }
  return ok();
}

// Stores filled once per (backend, entries) and shared by every benchmark
// that asks for them; destroyed (and the SQLite files removed) at exit.
class StoreCache {
 public:
  Result<const FilledStore*> get(Backend backend, std::size_t entries) {
    auto key = std::pair(backend, entries);
    if (auto it = stores_.find(key); it != stores_.end()) return it->second.get();
    auto filled = std::make_unique<FilledStore>();
    if (backend == Backend::kSqlite) {
      // synchronous=NORMAL, the lightest the options allow: lookups do not
      // depend on it and the fill runs faster.
      const std::filesystem::path directory = BERTH_TRY(scratch_.path());
      filled->store = BERTH_TRY(meta::sqlite::open_sqlite_meta_store(
          directory / ("meta-" + std::to_string(entries) + ".db"),
          meta::sqlite::SqliteOptions{.synchronous_full = false}));
    } else if (backend == Backend::kPostgres) {
      filled->store = BERTH_TRY(
          meta::postgres::open_postgres_meta_store(BERTH_TRY(postgres_schema_url(entries))));
    } else {
      filled->store = meta::memory::make_memory_meta_store();
    }
    const auto started = std::chrono::steady_clock::now();
    BERTH_TRY_STATUS(fill(*filled, entries));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    std::fprintf(stderr, "filled the %s store with %zu tagged manifests in %.1f s\n",
                 std::string(backend_name(backend)).c_str(), entries, took.count());
    return stores_.emplace(key, std::move(filled)).first->second.get();
  }

 private:
  // Declared first so it outlives the stores whose files it holds.
  ScratchDirectory scratch_;
  std::map<std::pair<Backend, std::size_t>, std::unique_ptr<FilledStore>> stores_;
};

StoreCache& store_cache() {
  static StoreCache cache;
  return cache;
}

// The filled store for this run's entry count (range 0), or null after
// reporting the failure through SkipWithError.
const FilledStore* filled_store(benchmark::State& state, Backend backend) {
  auto filled = store_cache().get(backend, static_cast<std::size_t>(state.range(0)));
  if (!filled) {
    state.SkipWithError(filled.error().message.c_str());
    return nullptr;
  }
  state.counters["entries"] = static_cast<double>(state.range(0));
  return *filled;
}

void BM_MetaResolveTag(benchmark::State& state, Backend backend) {
  const FilledStore* filled = filled_store(state, backend);
  if (filled == nullptr) return;
  const std::size_t last = filled->tags.size() - 1;
  auto resolved = filled->store->resolve_tag(filled->repository, filled->tags[last]);
  if (!resolved || *resolved != filled->manifests[last]) {
    state.SkipWithError("resolve_tag returned the wrong digest");
    return;
  }
  std::size_t iteration = 0;
  for (auto _ : state) {
    auto digest = filled->store->resolve_tag(filled->repository,
                                             filled->tags[filled->probe(iteration++)]);
    benchmark::DoNotOptimize(digest);
  }
}

void BM_MetaGetManifest(benchmark::State& state, Backend backend) {
  const FilledStore* filled = filled_store(state, backend);
  if (filled == nullptr) return;
  const oci::Digest& probe = filled->manifests[filled->probe(1)];
  auto manifest = filled->store->get_manifest(filled->repository, probe);
  if (!manifest || manifest->digest != probe ||
      crypto::sha256_hex(manifest->content) != probe.hex()) {
    state.SkipWithError("get_manifest returned the wrong manifest");
    return;
  }
  std::size_t iteration = 0;
  for (auto _ : state) {
    auto record = filled->store->get_manifest(filled->repository,
                                              filled->manifests[filled->probe(iteration++)]);
    benchmark::DoNotOptimize(record);
  }
}

// What a pull by tag costs the store: tag, manifest and bytes together.
void BM_MetaGetManifestByTag(benchmark::State& state, Backend backend) {
  const FilledStore* filled = filled_store(state, backend);
  if (filled == nullptr) return;
  const std::size_t probe = filled->probe(1);
  auto manifest = filled->store->get_manifest_by_tag(filled->repository, filled->tags[probe]);
  if (!manifest || manifest->digest != filled->manifests[probe] || manifest->content.empty()) {
    state.SkipWithError("get_manifest_by_tag returned the wrong manifest");
    return;
  }
  std::size_t iteration = 0;
  for (auto _ : state) {
    auto record = filled->store->get_manifest_by_tag(filled->repository,
                                                     filled->tags[filled->probe(iteration++)]);
    benchmark::DoNotOptimize(record);
  }
}

void BM_MetaGetBlobLink(benchmark::State& state, Backend backend) {
  const FilledStore* filled = filled_store(state, backend);
  if (filled == nullptr) return;
  const std::size_t probe = filled->probe(1);
  auto size = filled->store->get_blob_link(filled->repository, filled->blobs[probe]);
  if (!size || *size != filled->blob_sizes[probe]) {
    state.SkipWithError("get_blob_link returned the wrong size");
    return;
  }
  std::size_t iteration = 0;
  for (auto _ : state) {
    auto linked = filled->store->get_blob_link(filled->repository,
                                               filled->blobs[filled->probe(iteration++)]);
    benchmark::DoNotOptimize(linked);
  }
}

// GET /v2/<name>/tags/list?n=100&last=<tag>: a page from the middle.
void BM_MetaListTagsPage(benchmark::State& state, Backend backend) {
  const FilledStore* filled = filled_store(state, backend);
  if (filled == nullptr) return;
  const std::size_t middle = filled->tags.size() / 2;
  const std::string& after = filled->tags[middle];
  auto page = filled->store->list_tags(filled->repository, after, kTagsPageSize);
  if (!page || page->size() != kTagsPageSize || page->front() != filled->tags[middle + 1] ||
      page->back() != filled->tags[middle + kTagsPageSize]) {
    state.SkipWithError("list_tags returned the wrong page");
    return;
  }
  for (auto _ : state) {
    auto tags = filled->store->list_tags(filled->repository, after, kTagsPageSize);
    benchmark::DoNotOptimize(tags);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTagsPageSize));
}

void BM_MetaGetRepository(benchmark::State& state, Backend backend) {
  const FilledStore* filled = filled_store(state, backend);
  if (filled == nullptr) return;
  auto repository = filled->store->get_repository(kRegistry, kRepository);
  if (!repository || repository->id != filled->repository) {
    state.SkipWithError("get_repository returned the wrong repository");
    return;
  }
  for (auto _ : state) {
    auto record = filled->store->get_repository(kRegistry, kRepository);
    benchmark::DoNotOptimize(record);
  }
}

// Lookups by key run at three sizes to show they stay flat as the store
// grows; the rest run at one realistic size.
constexpr std::int64_t kSmallStore = 1'000;
constexpr std::int64_t kMediumStore = 10'000;
constexpr std::int64_t kLargeStore = 100'000;

BENCHMARK_CAPTURE(BM_MetaResolveTag, sqlite, Backend::kSqlite)
    ->Arg(kSmallStore)->Arg(kMediumStore)->Arg(kLargeStore);
BENCHMARK_CAPTURE(BM_MetaResolveTag, memory, Backend::kMemory)
    ->Arg(kSmallStore)->Arg(kMediumStore)->Arg(kLargeStore);
BENCHMARK_CAPTURE(BM_MetaGetManifest, sqlite, Backend::kSqlite)
    ->Arg(kSmallStore)->Arg(kMediumStore)->Arg(kLargeStore);
BENCHMARK_CAPTURE(BM_MetaGetManifest, memory, Backend::kMemory)
    ->Arg(kSmallStore)->Arg(kMediumStore)->Arg(kLargeStore);
BENCHMARK_CAPTURE(BM_MetaGetManifestByTag, sqlite, Backend::kSqlite)
    ->Arg(kSmallStore)->Arg(kMediumStore)->Arg(kLargeStore);
BENCHMARK_CAPTURE(BM_MetaGetManifestByTag, memory, Backend::kMemory)->Arg(kMediumStore);
// PostgreSQL: every lookup is a round trip to the server (filling 100k
// entries through the interface takes minutes, so two sizes).
BENCHMARK_CAPTURE(BM_MetaGetRepository, postgres, Backend::kPostgres)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaResolveTag, postgres, Backend::kPostgres)
    ->Arg(kSmallStore)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetManifest, postgres, Backend::kPostgres)
    ->Arg(kSmallStore)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetManifestByTag, postgres, Backend::kPostgres)
    ->Arg(kSmallStore)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetBlobLink, postgres, Backend::kPostgres)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaListTagsPage, postgres, Backend::kPostgres)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetBlobLink, sqlite, Backend::kSqlite)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetBlobLink, memory, Backend::kMemory)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaListTagsPage, sqlite, Backend::kSqlite)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaListTagsPage, memory, Backend::kMemory)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetRepository, sqlite, Backend::kSqlite)->Arg(kMediumStore);
BENCHMARK_CAPTURE(BM_MetaGetRepository, memory, Backend::kMemory)->Arg(kMediumStore);

}  // namespace
}  // namespace berth::bench
