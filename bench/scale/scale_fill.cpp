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
// With --blobs-per-manifest K (the GC workload, bench/berthbench/gc.py) the
// store gets real blob bytes: every manifest references K blobs of its own
// (one config, K-1 layers, --blob-bytes each) plus one of kSharedBases base
// layers that many manifests share. Each blob is written at the path a
// BlobStore commit leaves it (storage::blob::Layout; --blobs-through-store:
// as an upload through the BlobStore interface; no fsync either way: setup)
// and linked into its repository with
// link_uploaded_blob, which does not queue a GC review: the store looks like
// one whose earlier sweeps have drained the review queue. A manifest and the
// links of its blobs are put in one in_one_commit batch with others, as
// pushes that arrive together would be grouped. With --distribution-root the
// same content (same bytes, digests, repositories and tags) is written in
// CNCF Distribution's filesystem-driver layout as well:
//
//   <root>/docker/registry/v2/blobs/sha256/<hex[0:2]>/<hex>/data
//   <root>/docker/registry/v2/repositories/<name>/_layers/sha256/<hex>/link
//   <root>/docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<hex>/link
//   <root>/docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/current/link
//   <root>/docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/index/sha256/<hex>/link
//
// (each link file holds "sha256:<hex>"; manifests are blobs there too).
// --manifest-list writes one line per manifest, "<repository> <local index>
// <digest> <tag or ->", for the caller to choose what to delete.
//
// Ends with one line "SCALEFILL {json}" that scale.py parses.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/hasher.hpp"
#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "oci/reference.hpp"
#include "registry/manifest_facts.hpp"
#include "storage/blob/fs/fs_blob_store.hpp"
#include "storage/blob/layout.hpp"
#include "storage/meta/meta_store.hpp"
#include "storage/factory/store_factory.hpp"
#include "util/time.hpp"

namespace {

namespace meta = berth::storage::meta;
using berth::oci::Digest;
using berth::oci::DigestAlgorithm;
using berth::Status;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";
// Distinct config and layer digests the manifests cycle through: enough that
// references look like many images, few enough to precompute.
constexpr std::size_t kDistinctConfigs = 64;
constexpr std::size_t kDistinctLayers = 256;
constexpr std::size_t kLayersPerManifest = 2;
// GC mode: base layers shared by many manifests (manifest m uses base m % 100),
// so a sweep also meets blobs that a deleted manifest referenced but a live
// one still does.
constexpr std::size_t kSharedBases = 100;
// GC mode: manifests whose links and put_manifest share one commit.
constexpr std::uint64_t kBatch = 64;

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
  // GC mode (0: off): blobs of its own per manifest, written and linked.
  std::uint64_t blobs_per_manifest = 0;
  std::uint64_t blob_bytes = 1024;
  std::filesystem::path distribution_root;  // empty: no Distribution copy
  std::filesystem::path manifest_list;      // empty: no list
  bool blobs_through_store = false;         // uploads instead of direct files
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

// ---------------------------------------------------------------- GC mode

// Blob bytes: a header naming the blob, padded to `size`, so every blob is
// distinct and the two stores get identical bytes.
std::string gc_blob_bytes(std::string_view name, std::uint64_t size) {
  std::string out = "berth-gc-bench " + std::string(name) + "\n";
  if (out.size() < size) out.append(size - out.size(), 'x');
  return out;
}

struct GcBlob {
  BlobRef ref;
  std::string bytes;
};

std::string manifest_bytes_gc(std::uint64_t global_index, const GcBlob& config,
                              const std::vector<const GcBlob*>& layers) {
  std::string out = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(kManifestType) +
                    "\",\"config\":" + descriptor_json(kConfigType, config.ref) + ",\"layers\":[";
  for (std::size_t l = 0; l < layers.size(); ++l) {
    if (l) out += ',';
    out += descriptor_json(kLayerType, layers[l]->ref);
  }
  out += "],\"annotations\":{\"org.example.berth.gc.index\":\"" + std::to_string(global_index) +
         "\"}}";
  return out;
}

// Creates `dir` (and parents) and writes `bytes` to dir/name; no fsync.
Status write_file(const std::filesystem::path& dir, std::string_view name,
                  std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return berth::fail(berth::ErrorCode::kInternal, "cannot create " + dir.string(), ec.message());
  }
  const std::filesystem::path path = dir / std::string(name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return berth::fail(berth::ErrorCode::kInternal, "cannot write", path.string());
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (std::fclose(f) != 0 || !ok) {
    return berth::fail(berth::ErrorCode::kInternal, "cannot write", path.string());
  }
  return berth::ok();
}

// Distribution's filesystem-driver layout (see the header comment).
class DistributionWriter {
 public:
  explicit DistributionWriter(const std::filesystem::path& root)
      : v2_(root / "docker" / "registry" / "v2") {}

  // Writes blobs/sha256/xx/<hex>/data once per digest.
  Status blob(const Digest& digest, std::string_view bytes) {
    const std::string hex(digest.hex());
    if (!written_.insert(hex).second) return berth::ok();
    return write_file(v2_ / "blobs" / "sha256" / hex.substr(0, 2) / hex, "data", bytes);
  }
  Status layer_link(std::string_view repo, const Digest& digest) {
    return write_file(repo_dir(repo) / "_layers" / "sha256" / std::string(digest.hex()), "link",
                      digest.str());
  }
  Status revision_link(std::string_view repo, const Digest& digest) {
    return write_file(
        repo_dir(repo) / "_manifests" / "revisions" / "sha256" / std::string(digest.hex()),
        "link", digest.str());
  }
  Status tag(std::string_view repo, std::string_view tag, const Digest& digest) {
    const auto dir = repo_dir(repo) / "_manifests" / "tags" / std::string(tag);
    BERTH_TRY_STATUS(write_file(dir / "current", "link", digest.str()));
    return write_file(dir / "index" / "sha256" / std::string(digest.hex()), "link", digest.str());
  }

 private:
  std::filesystem::path repo_dir(std::string_view repo) const {
    return v2_ / "repositories" / std::string(repo);
  }
  std::filesystem::path v2_;
  std::set<std::string> written_;
};

// Writes one blob into berth's store. Through the BlobStore interface (an
// upload: staging directory, data and state files, rename into place,
// staging removed) or, by default, straight to the committed blob's path
// (storage::blob::Layout::blob_path, the file a commit leaves): the same
// end state in one file creation instead of ~10 directory operations,
// which on this shared ext4 disk cost ~1.5 ms per blob (25 min for 1M).
class BerthBlobWriter {
 public:
  BerthBlobWriter(berth::storage::blob::BlobStore& blobs, const std::filesystem::path& root,
                  bool through_store)
      : blobs_(blobs), layout_(std::filesystem::absolute(root)), through_store_(through_store) {}

  Status write(const GcBlob& blob, std::string_view upload_id) {
    if (!through_store_) {
      const std::filesystem::path path = layout_.blob_path(blob.ref.digest);
      return write_file(path.parent_path(), path.filename().string(), blob.bytes);
    }
    auto writer = BERTH_TRY(blobs_.begin_upload(upload_id));
    BERTH_TRY_STATUS(writer->append(std::span<const char>(blob.bytes.data(), blob.bytes.size())));
    BERTH_TRY_STATUS(writer->commit(blob.ref.digest));
    return berth::ok();
  }

 private:
  berth::storage::blob::BlobStore& blobs_;
  berth::storage::blob::Layout layout_;
  bool through_store_;
};

GcBlob make_gc_blob(std::string_view name, std::uint64_t size) {
  GcBlob b;
  b.bytes = gc_blob_bytes(name, size);
  b.ref = {sha256_of(b.bytes), b.bytes.size()};
  return b;
}

struct GcFillTotals {
  std::uint64_t manifests = 0;
  std::uint64_t tags = 0;
  std::uint64_t blobs = 0;  // distinct blobs (manifests not counted)
  std::uint64_t blob_bytes = 0;
  std::uint64_t manifest_bytes = 0;
  double berth_s = 0;
  double distribution_s = 0;
};

int fill_gc(const FillOptions& o, const std::vector<RepositoryPlan>& plan, meta::MetaStore& store,
            berth::storage::blob::BlobStore& blobs) {
  const std::int64_t now = berth::now_ms();
  const Clock::time_point start = Clock::now();
  Clock::time_point last_report = start;
  GcFillTotals t;
  std::unique_ptr<DistributionWriter> dist;
  if (!o.distribution_root.empty()) dist = std::make_unique<DistributionWriter>(o.distribution_root);
  std::ofstream list;
  if (!o.manifest_list.empty()) {
    list.open(o.manifest_list);
    if (!list) {
      std::cerr << "berth_scale_fill: cannot write " << o.manifest_list << "\n";
      return 1;
    }
  }
  BerthBlobWriter writer(blobs, o.data_dir, o.blobs_through_store);
  std::vector<GcBlob> bases;
  for (std::size_t b = 0; b < kSharedBases; ++b) {
    bases.push_back(make_gc_blob("base " + std::to_string(b), o.blob_bytes));
    if (auto w = writer.write(bases.back(), "gcfill-base-" + std::to_string(b)); !w) {
      return fail_with("cannot write a base blob", w.error());
    }
    if (dist) {
      if (auto w = dist->blob(bases.back().ref.digest, bases.back().bytes); !w) {
        return fail_with("cannot write Distribution's copy", w.error());
      }
    }
    ++t.blobs;
    t.blob_bytes += bases.back().bytes.size();
  }
  double berth_s = 0;
  double dist_s = 0;
  std::uint64_t global = 0;
  for (const RepositoryPlan& r : plan) {
    auto repo = store.ensure_repository(o.registry, r.name, now);
    if (!repo) return fail_with("cannot create repository " + r.name, repo.error());
    // Every base is linked in every repository (as pulls of a common base
    // image would leave it).
    for (std::size_t b = 0; b < kSharedBases; ++b) {
      if (auto linked = store.link_uploaded_blob("gcfill-base-" + std::to_string(b), repo->id,
                                                 bases[b].ref.digest, bases[b].ref.size, now);
          !linked) {
        return fail_with("cannot link a base blob", linked.error());
      }
      if (dist) {
        if (auto w = dist->layer_link(r.name, bases[b].ref.digest); !w) {
          return fail_with("cannot write Distribution's copy", w.error());
        }
      }
    }
    for (std::uint64_t first = 0; first < r.manifests; first += kBatch) {
      const std::uint64_t end = std::min<std::uint64_t>(r.manifests, first + kBatch);
      struct Item {
        std::vector<GcBlob> own;
        std::string bytes;
        Digest digest;
        std::string tag;
      };
      std::vector<Item> items;
      for (std::uint64_t i = first; i < end; ++i, ++global) {
        Item item;
        for (std::uint64_t j = 0; j < o.blobs_per_manifest; ++j) {
          item.own.push_back(make_gc_blob(
              (j == 0 ? "config " : "layer ") + std::to_string(global) + "/" + std::to_string(j),
              o.blob_bytes + (j == 0 ? 0 : (global + j) % 512)));
        }
        std::vector<const GcBlob*> layers{&bases[global % kSharedBases]};
        for (std::uint64_t j = 1; j < item.own.size(); ++j) layers.push_back(&item.own[j]);
        item.bytes = manifest_bytes_gc(global, item.own[0], layers);
        item.digest = sha256_of(item.bytes);
        const std::uint64_t tag_index = i * r.tags / r.manifests;
        if (r.tags > 0 && (i == 0 || (i - 1) * r.tags / r.manifests != tag_index)) {
          item.tag = tag_name(tag_index);
        }
        items.push_back(std::move(item));
      }
      Clock::time_point t0 = Clock::now();
      for (const Item& item : items) {
        for (std::size_t j = 0; j < item.own.size(); ++j) {
          if (auto w = writer.write(item.own[j], "gcfill-" + std::to_string(j)); !w) {
            return fail_with("cannot write a blob", w.error());
          }
        }
      }
      Status batch = store.in_one_commit([&]() -> Status {
        for (const Item& item : items) {
          for (std::size_t j = 0; j < item.own.size(); ++j) {
            BERTH_TRY_STATUS(store.link_uploaded_blob("gcfill-" + std::to_string(j), repo->id,
                                                      item.own[j].ref.digest,
                                                      item.own[j].ref.size, now));
          }
          auto parsed = BERTH_TRY(berth::oci::parse_manifest(item.bytes, kManifestType));
          berth::registry::ManifestFacts facts =
              berth::registry::manifest_facts(parsed, item.bytes, item.digest);
          meta::PutManifestOptions put;
          if (!item.tag.empty()) put.tags = {{item.tag}};
          BERTH_TRY_STATUS(store.put_manifest(repo->id, facts.record, facts.references, put));
        }
        return berth::ok();
      });
      if (!batch) return fail_with("put_manifest batch failed in " + r.name, batch.error());
      Clock::time_point t1 = Clock::now();
      berth_s += std::chrono::duration<double>(t1 - t0).count();
      for (std::uint64_t k = 0; k < items.size(); ++k) {
        const Item& item = items[k];
        if (dist) {
          for (const GcBlob& b : item.own) {
            if (auto w = dist->blob(b.ref.digest, b.bytes); !w) {
              return fail_with("cannot write Distribution's copy", w.error());
            }
            if (auto w = dist->layer_link(r.name, b.ref.digest); !w) {
              return fail_with("cannot write Distribution's copy", w.error());
            }
          }
          if (auto w = dist->blob(item.digest, item.bytes); !w) {
            return fail_with("cannot write Distribution's copy", w.error());
          }
          if (auto w = dist->revision_link(r.name, item.digest); !w) {
            return fail_with("cannot write Distribution's copy", w.error());
          }
          if (!item.tag.empty()) {
            if (auto w = dist->tag(r.name, item.tag, item.digest); !w) {
              return fail_with("cannot write Distribution's copy", w.error());
            }
          }
        }
        if (list) {
          list << r.name << ' ' << (first + k) << ' ' << item.digest.str() << ' '
               << (item.tag.empty() ? "-" : item.tag) << '\n';
        }
        t.manifests++;
        t.tags += item.tag.empty() ? 0 : 1;
        t.blobs += item.own.size();
        for (const GcBlob& b : item.own) t.blob_bytes += b.bytes.size();
        t.manifest_bytes += item.bytes.size();
      }
      dist_s += std::chrono::duration<double>(Clock::now() - t1).count();
      if (Clock::now() - last_report >= std::chrono::seconds(5)) {
        last_report = Clock::now();
        const double elapsed = seconds_since(start);
        std::fprintf(stderr,
                     "filled %llu/%llu manifests, %llu blobs, %.0f s (berth %.0f s, "
                     "distribution %.0f s), %.0f manifests/s\n",
                     static_cast<unsigned long long>(t.manifests),
                     static_cast<unsigned long long>(o.manifests),
                     static_cast<unsigned long long>(t.blobs), elapsed, berth_s, dist_s,
                     static_cast<double>(t.manifests) / elapsed);
      }
    }
  }
  if (list) list.flush();
  const double elapsed = seconds_since(start);
  std::fprintf(stderr,
               "filled %llu manifests, %llu tags, %llu blobs (%.1f MiB) in %zu repositories in "
               "%.1f s (berth %.1f s, distribution %.1f s)\n",
               static_cast<unsigned long long>(t.manifests),
               static_cast<unsigned long long>(t.tags), static_cast<unsigned long long>(t.blobs),
               static_cast<double>(t.blob_bytes) / 1048576.0, plan.size(), elapsed, berth_s,
               dist_s);
  std::printf(
      "SCALEFILL {\"registry\":\"%s\",\"repositories\":%zu,\"manifests\":%llu,\"tags\":%llu,"
      "\"blobs\":%llu,\"blob_bytes\":%llu,\"manifest_bytes\":%llu,\"blobs_per_manifest\":%llu,"
      "\"shared_bases\":%zu,\"fill_s\":%.3f,\"berth_fill_s\":%.3f,\"distribution_fill_s\":%.3f,"
      "\"manifests_per_s\":%.1f}\n",
      o.registry.c_str(), plan.size(), static_cast<unsigned long long>(t.manifests),
      static_cast<unsigned long long>(t.tags), static_cast<unsigned long long>(t.blobs),
      static_cast<unsigned long long>(t.blob_bytes),
      static_cast<unsigned long long>(t.manifest_bytes),
      static_cast<unsigned long long>(o.blobs_per_manifest), kSharedBases, elapsed, berth_s,
      dist_s, elapsed > 0 ? static_cast<double>(t.manifests) / elapsed : 0.0);
  return 0;
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
  // Blob bytes (GC mode) are setup, not measurement: no fsync.
  auto blobs = berth::storage::blob::fs::open_fs_blob_store(o.data_dir, {.fsync = false});
  if (!blobs) return fail_with("cannot open the blob store", blobs.error());
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
  if (o.blobs_per_manifest > 0) return fill_gc(o, plan, store, **blobs);

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
  app.add_option("--blobs-per-manifest", o.blobs_per_manifest,
                 "GC mode: blobs of its own per manifest (a config and layers), written through "
                 "the blob store and linked, plus one shared base layer (0: references only)")
      ->capture_default_str();
  app.add_option("--blob-bytes", o.blob_bytes, "GC mode: size of each blob (layers up to 511 more)")
      ->check(CLI::Range(64, 1 << 20))
      ->capture_default_str();
  app.add_option("--distribution-root", o.distribution_root,
                 "GC mode: also write the same content in CNCF Distribution's filesystem layout "
                 "under this storage root directory");
  app.add_flag("--blobs-through-store", o.blobs_through_store,
               "GC mode: write each blob as an upload through the BlobStore interface instead "
               "of straight to its committed path (same end state, ~10x the directory "
               "operations)");
  app.add_option("--manifest-list", o.manifest_list,
                 "GC mode: write '<repository> <index> <digest> <tag or ->' per manifest here");
  CLI11_PARSE(app, argc, argv);
  return fill(o);
}
