// berth_scale_fill: fills a berth data directory with a large metadata store
// for the scale workload of issue 4 (bench/berthbench/scale.py), writing
// through the MetaStore interface, exactly the calls a push makes, without
// HTTP in the way:
//
//   berth_scale_fill --data-dir D --manifests 1000000 --tags 100000
//                    [--repositories 10 --big-share 0.9 --big-repo scale/big]
//
// One repository (--big-repo) gets --big-share of the manifests and tags, the
// remaining repositories share the rest evenly; that big repository is the
// one the workload measures. Each manifest is a small, valid OCI image
// manifest whose bytes differ by an annotation (its index), stored under the
// SHA-256 of those exact bytes, with the record the registry itself would
// derive (registry::manifest_facts). Tags are "t" + 8 zero-padded digits, so
// byte order is index order and the caller can name the start, middle and
// end of the tag key space. Config and layer blobs are referenced, not
// stored (allow_missing_blobs, as ECR's lenient PutImage).
//
// Ends with one line "SCALEFILL {json}" that scale.py parses.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "crypto/hasher.hpp"
#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "oci/reference.hpp"
#include "registry/manifest_facts.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/meta/meta_store.hpp"
#include "storage/factory/store_factory.hpp"
#include "util/time.hpp"

namespace {

namespace meta = berth::storage::meta;
using berth::oci::Digest;
using berth::oci::DigestAlgorithm;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";
// Distinct config and layer digests the manifests cycle through: enough that
// references look like many images, few enough to precompute.
constexpr std::size_t kDistinctConfigs = 64;
constexpr std::size_t kDistinctLayers = 256;
constexpr std::size_t kLayersPerManifest = 2;

struct FillOptions {
  std::filesystem::path data_dir;
  std::string meta_store;  // empty: the data directory's SQLite file
  std::string registry = "123456789012:us-east-1";
  std::string big_repository = "scale/big";
  std::uint64_t repositories = 1;
  std::uint64_t manifests = 10000;
  std::uint64_t tags = 1000;
  double big_share = 0.9;
  bool synchronous_full = false;
};

// What goes into one repository.
struct RepositoryPlan {
  std::string name;
  std::uint64_t manifests = 0;
  std::uint64_t tags = 0;
};

struct BlobRef {
  Digest digest;
  std::uint64_t size = 0;
};

std::string zero_padded(std::uint64_t n, std::size_t width) {
  std::string digits = std::to_string(n);
  return digits.size() >= width ? digits : std::string(width - digits.size(), '0') + digits;
}

std::string tag_name(std::uint64_t index) { return "t" + zero_padded(index, 8); }

Digest sha256_of(std::string_view bytes) {
  return Digest::from_hex(DigestAlgorithm::kSha256, berth::crypto::sha256_hex(bytes));
}

std::vector<BlobRef> synthetic_blobs(std::string_view kind, std::size_t count,
                                     std::uint64_t base_size) {
  std::vector<BlobRef> blobs;
  blobs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    blobs.push_back({sha256_of("berth-scale-" + std::string(kind) + "-" + std::to_string(i)),
                     base_size + i * 977});
  }
  return blobs;
}

std::string descriptor_json(std::string_view media_type, const BlobRef& blob) {
  return "{\"mediaType\":\"" + std::string(media_type) + "\",\"digest\":\"" + blob.digest.str() +
         "\",\"size\":" + std::to_string(blob.size) + "}";
}

// A compact OCI image manifest; `global_index` (unique across the whole
// store) is what makes every manifest's bytes, hence digest, distinct.
std::string manifest_bytes(std::uint64_t global_index, const std::vector<BlobRef>& configs,
                           const std::vector<BlobRef>& layers) {
  std::string out =
      "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(kManifestType) +
      "\",\"config\":" + descriptor_json(kConfigType, configs[global_index % configs.size()]) +
      ",\"layers\":[";
  for (std::size_t l = 0; l < kLayersPerManifest; ++l) {
    if (l) out += ',';
    const BlobRef& layer = layers[(global_index * kLayersPerManifest + l) % layers.size()];
    out += descriptor_json(kLayerType, layer);
  }
  out += "],\"annotations\":{\"org.example.berth.scale.index\":\"" + std::to_string(global_index) +
         "\"}}";
  return out;
}

std::vector<RepositoryPlan> plan_repositories(const FillOptions& o) {
  std::vector<RepositoryPlan> plan(o.repositories);
  plan[0].name = o.big_repository;
  const double share = o.repositories == 1 ? 1.0 : o.big_share;
  plan[0].manifests = static_cast<std::uint64_t>(static_cast<double>(o.manifests) * share + 0.5);
  plan[0].tags = static_cast<std::uint64_t>(static_cast<double>(o.tags) * share + 0.5);
  const std::uint64_t others = o.repositories - 1;
  const std::uint64_t other_manifests = o.manifests - plan[0].manifests;
  const std::uint64_t other_tags = o.tags - plan[0].tags;
  for (std::uint64_t r = 1; r < o.repositories; ++r) {
    plan[r].name = "scale/r" + zero_padded(r, 5);
    // The remainder of an uneven split goes to the first repositories.
    plan[r].manifests = other_manifests / others + (r - 1 < other_manifests % others ? 1 : 0);
    plan[r].tags = other_tags / others + (r - 1 < other_tags % others ? 1 : 0);
  }
  return plan;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail_with(std::string_view what, const berth::Error& error) {
  std::cerr << "berth_scale_fill: " << what << ": " << error.message
            << (error.detail.empty() ? "" : ": ") << error.detail << "\n";
  return 1;
}

int fill(const FillOptions& o) {
  if (o.repositories == 0) {
    std::cerr << "berth_scale_fill: --repositories must be at least 1\n";
    return 2;
  }
  // Names go into a JSON line unescaped; a valid repository name needs none.
  if (auto valid = berth::oci::validate_repository_name(o.big_repository); !valid) {
    return fail_with("--big-repo", valid.error());
  }
  const std::vector<RepositoryPlan> plan = plan_repositories(o);
  for (const RepositoryPlan& r : plan) {
    if (r.tags > r.manifests) {
      std::cerr << "berth_scale_fill: repository " << r.name << " would get " << r.tags
                << " tags for " << r.manifests << " manifests; give at least as many manifests"
                << " as tags\n";
      return 2;
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  // berth serve expects the blob store's directories; opening it makes them.
  if (auto blobs = berth::storage::blob::fs::open_fs_blob_store(o.data_dir); !blobs) {
    return fail_with("cannot open the blob store", blobs.error());
  }
  // The fill is setup, not measurement: commits need not survive power loss.
  // --meta-store (e.g. postgresql://...) fills another store than the data
  // directory's SQLite file.
  const std::string meta_url = o.meta_store.empty()
                                   ? berth::storage::factory::default_meta_store_url(o.data_dir)
                                   : o.meta_store;
  auto opened = berth::storage::factory::open_meta_store(
      meta_url, {.must_exist = false, .synchronous_full = o.synchronous_full});
  if (!opened) return fail_with("cannot open the metadata store", opened.error());
  meta::MetaStore& store = **opened;

  const auto configs = synthetic_blobs("config", kDistinctConfigs, 1469);
  const auto layers = synthetic_blobs("layer", kDistinctLayers, 3 << 20);
  const std::int64_t now = berth::now_ms();
  const Clock::time_point start = Clock::now();
  Clock::time_point last_report = start;
  std::uint64_t written = 0;
  std::uint64_t tags_written = 0;
  // The big repository is filled first; its rate over its first and its last
  // tenth shows how the cost of one put_manifest grows with the store. (The
  // small repositories after it insert into narrower key ranges, faster.)
  const std::uint64_t tenth = plan[0].manifests / 10;
  Clock::time_point first_tenth_done = start;
  Clock::time_point last_tenth_start = start;
  Clock::time_point last_tenth_done = start;

  for (const RepositoryPlan& r : plan) {
    auto repo = store.ensure_repository(o.registry, r.name, now);
    if (!repo) return fail_with("cannot create repository " + r.name, repo.error());
    for (std::uint64_t i = 0; i < r.manifests; ++i) {
      const std::string bytes = manifest_bytes(written, configs, layers);
      const Digest digest = sha256_of(bytes);
      auto parsed = berth::oci::parse_manifest(bytes, kManifestType);
      if (!parsed) return fail_with("generated manifest does not parse", parsed.error());
      berth::registry::ManifestFacts facts =
          berth::registry::manifest_facts(*parsed, bytes, digest);
      // Older manifests first, one second apart, like a long push history.
      facts.record.pushed_at_ms = now - static_cast<std::int64_t>(o.manifests - written) * 1000;

      meta::PutManifestOptions put;
      put.allow_missing_blobs = true;
      // Exactly r.tags of the r.manifests get a tag, spread evenly: manifest
      // i carries tag k when i is the first index with floor(i * tags / manifests) == k.
      const std::uint64_t tag_index = i * r.tags / r.manifests;
      if (r.tags > 0 && (i == 0 || (i - 1) * r.tags / r.manifests != tag_index)) {
        put.tags = {{tag_name(tag_index)}};
        ++tags_written;
      }
      if (auto stored = store.put_manifest(repo->id, facts.record, facts.references, put);
          !stored) {
        return fail_with("put_manifest failed in " + r.name, stored.error());
      }
      ++written;
      if (written == tenth) first_tenth_done = Clock::now();
      if (written == plan[0].manifests - tenth) last_tenth_start = Clock::now();
      if (written == plan[0].manifests) last_tenth_done = Clock::now();
      if (Clock::now() - last_report >= std::chrono::seconds(5)) {
        last_report = Clock::now();
        const double elapsed = seconds_since(start);
        std::fprintf(stderr, "filled %llu/%llu manifests, %llu tags, %.0f s, %.0f manifests/s\n",
                     static_cast<unsigned long long>(written),
                     static_cast<unsigned long long>(o.manifests),
                     static_cast<unsigned long long>(tags_written), elapsed,
                     static_cast<double>(written) / elapsed);
      }
    }
  }
  const double elapsed = seconds_since(start);
  const double rate = elapsed > 0 ? static_cast<double>(written) / elapsed : 0.0;
  auto rate_between = [&](Clock::time_point from, Clock::time_point to) {
    const double s = std::chrono::duration<double>(to - from).count();
    return s > 0 ? static_cast<double>(tenth) / s : 0.0;
  };
  const double first_tenth_rate = rate_between(start, first_tenth_done);
  const double last_tenth_rate = rate_between(last_tenth_start, last_tenth_done);
  std::fprintf(
      stderr,
      "filled %llu manifests and %llu tags in %zu repositories in %.1f s: "
      "%.0f manifests/s (one transaction each; %s: first tenth %.0f/s, last tenth %.0f/s)\n",
      static_cast<unsigned long long>(written), static_cast<unsigned long long>(tags_written),
      plan.size(), elapsed, rate, plan[0].name.c_str(), first_tenth_rate, last_tenth_rate);
  std::printf(
      "SCALEFILL {\"registry\":\"%s\",\"repository\":\"%s\",\"repositories\":%zu,"
      "\"manifests\":%llu,\"tags\":%llu,\"repository_manifests\":%llu,"
      "\"repository_tags\":%llu,\"tag_prefix\":\"t\",\"tag_digits\":8,"
      "\"fill_s\":%.3f,\"manifests_per_s\":%.1f,\"repository_first_tenth_per_s\":%.1f,"
      "\"repository_last_tenth_per_s\":%.1f}\n",
      o.registry.c_str(), plan[0].name.c_str(), plan.size(),
      static_cast<unsigned long long>(written), static_cast<unsigned long long>(tags_written),
      static_cast<unsigned long long>(plan[0].manifests),
      static_cast<unsigned long long>(plan[0].tags), elapsed, rate, first_tenth_rate,
      last_tenth_rate);
  return 0;
}

// berth serve's registry ids are "<12-digit account>:<region>" (app::Config).
std::string check_registry_id(const std::string& id) {
  const auto colon = id.find(':');
  const bool ok =
      colon == 12 && id.find_first_not_of("0123456789") == 12 && colon + 1 < id.size() &&
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-", colon + 1) == std::string::npos;
  return ok ? std::string() : std::string("must be <12-digit account>:<region>");
}

}  // namespace

int main(int argc, char** argv) {
  FillOptions o;
  CLI::App app{"Fills a berth data directory's metadata store for the scale benchmark"};
  app.add_option("--data-dir", o.data_dir, "berth data directory to fill (created if absent)")
      ->required();
  app.add_option("--registry", o.registry,
                 "registry id \"<account>:<region>\" (berth serve's default registry)")
      ->check(check_registry_id)
      ->capture_default_str();
  app.add_option("--big-repo", o.big_repository, "name of the repository holding --big-share")
      ->capture_default_str();
  app.add_option("--repositories", o.repositories, "repositories in all, the big one included")
      ->capture_default_str();
  app.add_option("--manifests", o.manifests, "manifests in all")->capture_default_str();
  app.add_option("--tags", o.tags, "tags in all (each on its own manifest)")->capture_default_str();
  app.add_option("--big-share", o.big_share,
                 "share of manifests and tags in the big repository (1 with one repository)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--meta-store", o.meta_store,
                 "metadata store URL to fill, as for berth serve (default: the data directory's "
                 "sqlite://.../metadata.db)");
  app.add_flag("--synchronous-full", o.synchronous_full,
               "fsync every commit (PRAGMA synchronous=FULL, berth serve's default) instead of "
               "NORMAL");
  CLI11_PARSE(app, argc, argv);
  return fill(o);
}
