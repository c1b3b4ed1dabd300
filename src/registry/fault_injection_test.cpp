// Fault injection below the core: every registry operation that writes is
// run over memory stores wrapped in FaultyBlobStore / FaultyMetaStore, first
// unarmed to count its store calls, then once per step k with step k failing,
// in three modes:
//   error    call k (any call, reads included) fails before it happens;
//   lost-ack mutating call k takes effect but reports an error;
//   crash    mutating call k takes effect, then no later mutation reaches the
//            stores (sticky), and the retry runs on a fresh Registry over the
//            same stores, as a restarted process would.
// After every run: the operation either reported an error or its effect is
// fully visible; the stores pass the same check `berth fsck` runs (no
// manifest naming a missing or unlinked blob, no tag naming a missing
// manifest, no index with a missing child, no link to a missing blob); and a
// retry without faults succeeds (for deletes and cancels: or finds the target
// already gone) and leaves the effect visible and the stores consistent.
//
// Each scenario prints one "[fault-injection]" line with its counts;
// docs/reliability.md quotes them. BERTH_FAULT_TRACE=1 prints every run's
// call log.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "crypto/hasher.hpp"
#include "fsck/store_check.hpp"
#include "registry/registry.hpp"
#include "registry/testing/run_sync.hpp"
#include "storage/blob/faulty/faulty_blob_store.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/faulty/faulty_meta_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::registry {
namespace {

using storage::faulty::Fault;
using storage::faulty::FaultPlan;
using storage::faulty::FaultScope;
using storage::faulty::FaultTiming;

constexpr const char* kRegistryId = "123456789012:us-east-1";

oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

std::string error_text(const Error& e) {
  return std::string(to_string(e.code)) + ": " + e.message +
         (e.detail.empty() ? "" : " (" + e.detail + ")");
}

// Two memory stores behind fault-injecting decorators sharing one plan, and
// a Registry over the decorators. Values a scenario's setup produces (digests,
// manifests, upload ids) go into `vars`.
struct World {
  std::unique_ptr<storage::blob::BlobStore> raw_blobs =
      storage::blob::memory::make_memory_blob_store();
  std::unique_ptr<storage::meta::MetaStore> raw_meta =
      storage::meta::memory::make_memory_meta_store();
  std::shared_ptr<FaultPlan> plan = std::make_shared<FaultPlan>();
  storage::blob::faulty::FaultyBlobStore blobs{*raw_blobs, plan};
  storage::meta::faulty::FaultyMetaStore meta{*raw_meta, plan};
  boost::asio::thread_pool pool{1};
  std::unique_ptr<Registry> registry = std::make_unique<Registry>(blobs, meta, pool);
  std::map<std::string, std::string> vars;

  ~World() {
    registry.reset();
    pool.join();
  }
  // A new process over the same stores: parked writers are gone.
  void restart() { registry = std::make_unique<Registry>(blobs, meta, pool); }
  oci::Digest digest(const std::string& name) const {
    return oci::Digest::parse(vars.at(name)).value();
  }
};

const RepositoryRef kRepo{kRegistryId, "team/app"};
const RepositoryRef kOther{kRegistryId, "team/other"};

// Opens the upload, appends `bytes` and saves (a PATCH), or commits under
// `commit_as` (the final PUT), as a front end does; a failure releases the
// upload before it returns, as front ends do.
Result<UploadStatus> send_chunk(Registry& r, const RepositoryRef& repo, std::string_view id,
                                std::string_view bytes,
                                std::optional<oci::Digest> commit_as = std::nullopt) {
  return testing::run_sync([&]() -> boost::asio::awaitable<Result<UploadStatus>> {
    auto session = co_await r.open_upload(repo, id);
    if (!session) co_return std::unexpected(session.error());
    auto appended = co_await (*session)->append(std::span<const char>(bytes.data(), bytes.size()));
    if (!appended) co_return std::unexpected(appended.error());
    if (!commit_as) co_return co_await (*session)->save();
    auto info = co_await (*session)->commit(*commit_as);
    if (!info) co_return std::unexpected(info.error());
    co_return UploadStatus{std::string(id), info->size};
  }());
}

// Pushes a blob in two chunks with a save between them, as a chunked
// client does.
Result<oci::Digest> push_blob(Registry& r, const RepositoryRef& repo, std::string_view bytes) {
  auto started = BERTH_TRY(r.begin_upload(repo));
  const std::size_t half = bytes.size() / 2;
  BERTH_TRY(send_chunk(r, repo, started.id, bytes.substr(0, half)));
  BERTH_TRY(send_chunk(r, repo, started.id, bytes.substr(half), sha256_of(bytes)));
  return sha256_of(bytes);
}

std::string image_manifest(const oci::Digest& config, std::size_t config_size,
                           const std::vector<std::pair<oci::Digest, std::size_t>>& layers) {
  std::string out =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config.str() + R"(","size":)" + std::to_string(config_size) + R"(},"layers":[)";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i) out += ",";
    out += R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
           layers[i].first.str() + R"(","size":)" + std::to_string(layers[i].second) + "}";
  }
  return out + "]}";
}

std::string index_manifest(const std::vector<std::pair<oci::Digest, std::size_t>>& children) {
  std::string out =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)";
  const char* arch[] = {"amd64", "arm64"};
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (i) out += ",";
    out += R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
           children[i].first.str() + R"(","size":)" + std::to_string(children[i].second) +
           R"(,"platform":{"architecture":")" + arch[i % 2] + R"(","os":"linux"}})";
  }
  return out + "]}";
}

// Pushes config + two layers and returns the image manifest naming them.
std::string push_image_blobs(World& w, const RepositoryRef& repo, const std::string& salt,
                             std::size_t padding = 300) {
  std::string config = R"({"architecture":"amd64","os":"linux","salt":")" + salt + "\"}";
  std::string layer1 = "first layer of " + salt;
  std::string layer2 = "second layer of " + salt + std::string(padding, 'x');
  auto c = push_blob(*w.registry, repo, config);
  auto l1 = push_blob(*w.registry, repo, layer1);
  auto l2 = push_blob(*w.registry, repo, layer2);
  EXPECT_TRUE(c && l1 && l2);
  return image_manifest(*c, config.size(), {{*l1, layer1.size()}, {*l2, layer2.size()}});
}

oci::Digest put(World& w, const RepositoryRef& repo, const oci::Reference& ref,
                const std::string& content) {
  auto r = w.registry->put_manifest(repo, {ref, content, ""});
  EXPECT_TRUE(r.has_value()) << (r ? "" : error_text(r.error()));
  return r ? r->digest : oci::Digest();
}

struct Scenario {
  std::string name;
  std::function<void(World&)> setup;  // unfaulted
  std::function<Status(World&)> op;   // the operation under test
  std::function<void(World&)> expect_done;
  // Besides success, what a retry may answer: a delete finding its target
  // already gone is a success.
  std::vector<ErrorCode> retry_gone;
  // How a client retries; empty: the operation again.
  std::function<Status(World&)> retry = {};
  // What no run may disturb, whatever failed (e.g. other repositories).
  std::function<void(World&)> expect_untouched = {};
};

// A chunked push that records its upload id in w.vars["upload"], so that a
// retry can resume it.
Status push_blob_in_chunks(World& w, std::string_view bytes, std::size_t chunk) {
  auto started = BERTH_TRY(w.registry->begin_upload(kRepo));
  w.vars["upload"] = started.id;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::size_t n = std::min(chunk, bytes.size() - offset);
    const bool last = offset + n == bytes.size();
    BERTH_TRY(send_chunk(*w.registry, kRepo, started.id, bytes.substr(offset, n),
                         last ? std::optional(sha256_of(bytes)) : std::nullopt));
    offset += n;
  }
  return ok();
}

// What a client does after a failed PATCH or PUT: asks the upload's offset
// (GET /v2/<name>/blobs/uploads/<id>) and sends the rest from there; when the
// upload is gone, starts over.
Status resume_blob_push(World& w, std::string_view bytes) {
  auto id = w.vars.find("upload");
  if (id != w.vars.end()) {
    auto status = w.registry->upload_status(kRepo, id->second);
    if (status) {
      if (status->size > bytes.size()) {
        return fail(ErrorCode::kInternal, "upload claims more bytes than were sent",
                    std::to_string(status->size));
      }
      auto rest = bytes.substr(status->size);
      auto done = testing::run_sync([&]() -> boost::asio::awaitable<Status> {
        auto session = co_await w.registry->open_upload(kRepo, id->second);
        if (!session) co_return std::unexpected(session.error());
        if ((*session)->size() != status->size) {
          co_await (*session)->release();
          co_return fail(ErrorCode::kInternal, "opened session disagrees with the upload status",
                         std::to_string(status->size));
        }
        auto appended = co_await (*session)->append(std::span<const char>(rest.data(), rest.size()));
        if (!appended) co_return std::unexpected(appended.error());
        auto info = co_await (*session)->commit(sha256_of(bytes));
        if (!info) co_return std::unexpected(info.error());
        co_return ok();
      }());
      return done;
    }
    if (status.error().code != ErrorCode::kUploadNotFound) return std::unexpected(status.error());
  }
  w.vars.erase("upload");
  return push_blob_in_chunks(w, bytes, bytes.size());
}

void expect_blob(World& w, const RepositoryRef& repo, const std::string& bytes) {
  auto content = testing::run_sync(w.registry->read_blob(repo, sha256_of(bytes), 0, bytes.size()));
  ASSERT_TRUE(content.has_value()) << error_text(content.error());
  ASSERT_NE(content->stream, nullptr);  // the memory store streams
  std::string got(bytes.size() + 1, '\0');
  std::size_t total = 0;
  for (;;) {
    auto n = testing::run_sync(
        content->stream->read_some(std::span<char>(got.data() + total, got.size() - total)));
    ASSERT_TRUE(n.has_value());
    if (*n == 0) break;
    total += *n;
  }
  got.resize(total);
  EXPECT_EQ(got, bytes);
}

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;

  const std::string blob_bytes =
      "blob pushed through an upload, in two chunks" + std::string(1000, 'b');
  out.push_back({"push_blob",
                 [](World&) {},
                 [blob_bytes](World& w) -> Status {
                   BERTH_TRY(push_blob(*w.registry, kRepo, blob_bytes));
                   return ok();
                 },
                 [blob_bytes](World& w) { expect_blob(w, kRepo, blob_bytes); },
                 {}});

  out.push_back({"put_image_manifest",
                 [](World& w) { w.vars["manifest"] = push_image_blobs(w, kRepo, "image"); },
                 [](World& w) -> Status {
                   BERTH_TRY(w.registry->put_manifest(
                       kRepo, {oci::Reference::of_tag("v1"), w.vars["manifest"], ""}));
                   return ok();
                 },
                 [](World& w) {
                   auto got = w.registry->get_manifest(kRepo, oci::Reference::of_tag("v1"), false);
                   ASSERT_TRUE(got.has_value()) << error_text(got.error());
                   EXPECT_EQ(got->content, w.vars["manifest"]);
                   EXPECT_EQ(got->digest, sha256_of(w.vars["manifest"]));
                 },
                 {}});

  out.push_back({"put_index",
                 [](World& w) {
                   std::string a = push_image_blobs(w, kRepo, "amd64");
                   std::string b = push_image_blobs(w, kRepo, "arm64", 20000);  // the largest
                   auto da = put(w, kRepo, oci::Reference::of_digest(sha256_of(a)), a);
                   auto db = put(w, kRepo, oci::Reference::of_digest(sha256_of(b)), b);
                   w.vars["amd64"] = da.str();
                   w.vars["arm64"] = db.str();
                   w.vars["index"] = index_manifest({{da, a.size()}, {db, b.size()}});
                 },
                 [](World& w) -> Status {
                   BERTH_TRY(w.registry->put_manifest(
                       kRepo, {oci::Reference::of_tag("multi"), w.vars["index"], ""}));
                   return ok();
                 },
                 [](World& w) {
                   auto got =
                       w.registry->get_manifest(kRepo, oci::Reference::of_tag("multi"), false);
                   ASSERT_TRUE(got.has_value()) << error_text(got.error());
                   EXPECT_EQ(got->content, w.vars["index"]);
                   // ECR reports an index's size as its largest image's.
                   auto repo = w.raw_meta->get_repository(kRepo.registry, kRepo.name);
                   ASSERT_TRUE(repo.has_value());
                   std::uint64_t largest = 0;
                   for (const char* child : {"amd64", "arm64"}) {
                     auto c = w.raw_meta->get_manifest(repo->id, w.digest(child));
                     ASSERT_TRUE(c.has_value());
                     largest = std::max(largest, c->image_size);
                   }
                   EXPECT_EQ(got->image_size, largest)
                       << "the index's image size was computed from a failed read";
                 },
                 {}});

  out.push_back(
      {"delete_manifest",
       [](World& w) {
         std::string m = push_image_blobs(w, kRepo, "doomed");
         w.vars["digest"] = put(w, kRepo, oci::Reference::of_tag("v1"), m).str();
         ASSERT_TRUE(w.registry->put_manifest(kRepo, {oci::Reference::of_tag("latest"), m, ""}));
       },
       [](World& w) {
         return w.registry->delete_manifest(kRepo, oci::Reference::of_digest(w.digest("digest")));
       },
       [](World& w) {
         auto gone =
             w.registry->get_manifest(kRepo, oci::Reference::of_digest(w.digest("digest")), false);
         ASSERT_FALSE(gone.has_value());
         EXPECT_EQ(gone.error().code, ErrorCode::kManifestNotFound);
         auto tags = w.registry->list_tags(kRepo, "", 100);
         ASSERT_TRUE(tags.has_value());
         EXPECT_TRUE(tags->empty());
       },
       {ErrorCode::kManifestNotFound}});

  out.push_back(
      {"delete_tag",
       [](World& w) {
         std::string m = push_image_blobs(w, kRepo, "tagged");
         w.vars["digest"] = put(w, kRepo, oci::Reference::of_tag("v1"), m).str();
         ASSERT_TRUE(w.registry->put_manifest(kRepo, {oci::Reference::of_tag("v2"), m, ""}));
       },
       [](World& w) { return w.registry->delete_manifest(kRepo, oci::Reference::of_tag("v1")); },
       [](World& w) {
         auto gone = w.registry->get_manifest(kRepo, oci::Reference::of_tag("v1"), false);
         ASSERT_FALSE(gone.has_value());
         EXPECT_EQ(gone.error().code, ErrorCode::kManifestNotFound);
         EXPECT_TRUE(w.registry->get_manifest(kRepo, oci::Reference::of_tag("v2"), false));
         EXPECT_TRUE(
             w.registry->get_manifest(kRepo, oci::Reference::of_digest(w.digest("digest")), false));
       },
       {ErrorCode::kManifestNotFound}});

  out.push_back({"mount_blob",
                 [](World& w) {
                   auto d = push_blob(*w.registry, kRepo, "a layer shared between repositories");
                   ASSERT_TRUE(d.has_value());
                   w.vars["digest"] = d->str();
                 },
                 [](World& w) -> Status {
                   BERTH_TRY(w.registry->mount_blob(kOther, kRepo, w.digest("digest")));
                   return ok();
                 },
                 [](World& w) {
                   auto info = w.registry->stat_blob(kOther, w.digest("digest"));
                   ASSERT_TRUE(info.has_value()) << error_text(info.error());
                 },
                 {}});

  out.push_back({"cancel_upload",
                 [](World& w) {
                   auto started = w.registry->begin_upload(kRepo);
                   ASSERT_TRUE(started.has_value());
                   ASSERT_TRUE(send_chunk(*w.registry, kRepo, started->id, "some bytes"));
                   w.vars["upload"] = started->id;
                 },
                 [](World& w) { return w.registry->cancel_upload(kRepo, w.vars["upload"]); },
                 [](World& w) {
                   auto status = w.registry->upload_status(kRepo, w.vars["upload"]);
                   ASSERT_FALSE(status.has_value());
                   EXPECT_EQ(status.error().code, ErrorCode::kUploadNotFound);
                 },
                 {ErrorCode::kUploadNotFound}});

  // The same push, retried as a client does: resuming the upload where the
  // registry says it stands.
  std::string resumable;
  for (int i = 0; i < 3000; ++i) resumable += static_cast<char>('a' + (i * 7) % 26);
  out.push_back({"push_blob_resumed",
                 [](World&) {},
                 [resumable](World& w) { return push_blob_in_chunks(w, resumable, 1000); },
                 [resumable](World& w) { expect_blob(w, kRepo, resumable); },
                 {},
                 [resumable](World& w) { return resume_blob_push(w, resumable); }});

  out.push_back({"delete_repository",
                 [](World& w) {
                   std::string m = push_image_blobs(w, kRepo, "repository");
                   put(w, kRepo, oci::Reference::of_tag("v1"), m);
                   auto started = w.registry->begin_upload(kRepo);  // parked, in progress
                   ASSERT_TRUE(started.has_value());
                   w.vars["upload"] = started->id;
                   // Another repository's upload, parked in the same process.
                   auto other = w.registry->begin_upload(kOther);
                   ASSERT_TRUE(other.has_value());
                   w.vars["other_upload"] = other->id;
                 },
                 [](World& w) -> Status {
                   BERTH_TRY(w.registry->delete_repository(kRepo, /*force=*/true));
                   return ok();
                 },
                 [](World& w) {
                   auto gone = w.registry->repository(kRepo);
                   ASSERT_FALSE(gone.has_value());
                   EXPECT_EQ(gone.error().code, ErrorCode::kRepositoryNotFound);
                   EXPECT_FALSE(w.registry->upload_status(kRepo, w.vars["upload"]).has_value());
                 },
                 {ErrorCode::kRepositoryNotFound},
                 {},
                 [](World& w) {
                   // Deleting one repository never costs another one its uploads.
                   EXPECT_TRUE(w.raw_blobs->stat_upload(w.vars["other_upload"]).has_value())
                       << "the other repository's upload data was deleted";
                   EXPECT_TRUE(w.raw_meta->get_upload(w.vars["other_upload"]).has_value());
                 }});

  return out;
}

// The invariant check, on the raw stores (no faults): what `berth fsck`
// would say about them, minus blob hashing (memory stores cannot rot).
void expect_consistent(World& w, const std::string& when) {
  fsck::CheckOptions options;
  options.verify_blob_content = true;
  auto report = fsck::check_stores(*w.raw_blobs, *w.raw_meta, options);
  ASSERT_TRUE(report.has_value()) << when << ": " << error_text(report.error());
  for (const fsck::Finding& f : report->corruption()) {
    ADD_FAILURE() << when << ": " << fsck::describe(f);
  }
}

struct Mode {
  const char* name;
  FaultScope scope;
  FaultTiming timing;
  bool sticky;
  bool restart_before_retry;
};

constexpr Mode kModes[] = {
    {"error", FaultScope::kAny, FaultTiming::kBeforeCall, false, false},
    {"lost-ack", FaultScope::kMutating, FaultTiming::kAfterCall, false, false},
    {"crash", FaultScope::kMutating, FaultTiming::kAfterCall, true, true},
};

std::string trace(const FaultPlan& plan) {
  std::string out;
  for (const auto& op : plan.log()) out += " " + op;
  return out;
}

class FaultInjection : public ::testing::TestWithParam<Scenario> {};

TEST_P(FaultInjection, EveryStepFailingLeavesAConsistentStore) {
  const Scenario& s = GetParam();
  const bool tracing = std::getenv("BERTH_FAULT_TRACE") != nullptr;

  // 1. Count the steps.
  std::uint64_t any_calls = 0, mutating_calls = 0;
  {
    World w;
    s.setup(w);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    w.plan->reset();
    Status done = s.op(w);
    ASSERT_TRUE(done.has_value()) << error_text(done.error());
    any_calls = w.plan->calls(FaultScope::kAny);
    mutating_calls = w.plan->calls(FaultScope::kMutating);
    if (tracing) std::printf("[trace] %s unfaulted:%s\n", s.name.c_str(), trace(*w.plan).c_str());
    s.expect_done(w);
    expect_consistent(w, s.name + " unfaulted");
  }
  ASSERT_GT(mutating_calls, 0u);

  // 2. Fail each step in turn, in each mode.
  std::uint64_t injected = 0, reported_error = 0, happened_anyway = 0;
  for (const Mode& mode : kModes) {
    const std::uint64_t steps = mode.scope == FaultScope::kAny ? any_calls : mutating_calls;
    for (std::uint64_t k = 1; k <= steps; ++k) {
      World w;
      s.setup(w);
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
      w.plan->reset();
      w.plan->arm(Fault{.nth = k,
                        .scope = mode.scope,
                        .timing = mode.timing,
                        .code = ErrorCode::kUnavailable,
                        .message = "injected fault",
                        .sticky = mode.sticky});
      Status result = s.op(w);
      w.plan->disarm();
      const std::string where = s.name + " " + mode.name + " at step " + std::to_string(k) + " (" +
                                w.plan->first_failed() + ")";
      SCOPED_TRACE(where + ", calls:" + trace(*w.plan));
      if (tracing) std::printf("[trace] %s:%s\n", where.c_str(), trace(*w.plan).c_str());
      ASSERT_GE(w.plan->faults_injected(), 1u) << "step " << k << " was never reached";
      injected += w.plan->faults_injected();

      if (result) {
        // No error reported: the effect must be whole.
        ++happened_anyway;
        s.expect_done(w);
      } else {
        ++reported_error;
      }
      expect_consistent(w, where + ", after the fault");
      if (s.expect_untouched) s.expect_untouched(w);

      if (mode.restart_before_retry) w.restart();
      w.plan->reset();
      Status retry = s.retry ? s.retry(w) : s.op(w);
      if (!retry) {
        bool gone = std::find(s.retry_gone.begin(), s.retry_gone.end(), retry.error().code) !=
                    s.retry_gone.end();
        EXPECT_TRUE(gone) << where << ": retry failed: " << error_text(retry.error())
                          << "; retry calls:" << trace(*w.plan);
      }
      s.expect_done(w);
      expect_consistent(w, where + ", after the retry");
    }
  }
  std::printf(
      "[fault-injection] %-18s %2llu calls (%2llu mutating): %3llu faulted runs "
      "(%llu error, %llu lost-ack, %llu crash), %3llu faults injected; %3llu reported "
      "the error, %2llu completed anyway; %s\n",
      s.name.c_str(), static_cast<unsigned long long>(any_calls),
      static_cast<unsigned long long>(mutating_calls),
      static_cast<unsigned long long>(reported_error + happened_anyway),
      static_cast<unsigned long long>(any_calls), static_cast<unsigned long long>(mutating_calls),
      static_cast<unsigned long long>(mutating_calls), static_cast<unsigned long long>(injected),
      static_cast<unsigned long long>(reported_error),
      static_cast<unsigned long long>(happened_anyway),
      ::testing::Test::HasFailure() ? "FAILURES (see above)"
                                    : "all consistent, all retries succeeded");
}

INSTANTIATE_TEST_SUITE_P(Registry, FaultInjection, ::testing::ValuesIn(scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return info.param.name;
                         });

// The plan itself: counting, before/after timing, stickiness.
TEST(FaultPlan, FailsTheNthMutatingCallBeforeOrAfterIt) {
  auto raw = storage::meta::memory::make_memory_meta_store();
  auto plan = std::make_shared<FaultPlan>();
  storage::meta::faulty::FaultyMetaStore meta(*raw, plan);

  plan->arm(Fault{.nth = 2, .scope = FaultScope::kMutating});
  ASSERT_TRUE(meta.ensure_repository("r", "a", 1));         // mutating #1
  ASSERT_FALSE(meta.get_repository("r", "b").has_value());  // a read: not counted
  auto second = meta.ensure_repository("r", "b", 1);        // mutating #2: fails, not done
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(raw->get_repository("r", "b").has_value());
  EXPECT_TRUE(meta.ensure_repository("r", "c", 1));  // #3: not sticky
  EXPECT_EQ(plan->calls(FaultScope::kMutating), 3u);
  EXPECT_EQ(plan->calls(FaultScope::kAny), 4u);
  EXPECT_EQ(plan->first_failed(), "meta.ensure_repository");

  plan->reset();
  plan->arm(Fault{.nth = 1, .scope = FaultScope::kMutating, .timing = FaultTiming::kAfterCall});
  EXPECT_FALSE(meta.ensure_repository("r", "d", 1).has_value());  // reported failed...
  EXPECT_TRUE(raw->get_repository("r", "d").has_value());         // ...but it happened
}

TEST(FaultPlan, ReadOnlyPlanRefusesEveryWriteOfBothStores) {
  auto raw_blobs = storage::blob::memory::make_memory_blob_store();
  auto raw_meta = storage::meta::memory::make_memory_meta_store();
  auto plan = FaultPlan::read_only("read-only");
  storage::blob::faulty::FaultyBlobStore blobs(*raw_blobs, plan);
  storage::meta::faulty::FaultyMetaStore meta(*raw_meta, plan);
  for (int i = 0; i < 3; ++i) {
    auto w = blobs.begin_upload("up-" + std::to_string(i));
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, ErrorCode::kDenied);
    EXPECT_EQ(meta.ensure_repository("r", "x", 1).error().code, ErrorCode::kDenied);
  }
  EXPECT_EQ(blobs.stat(sha256_of("x")).error().code, ErrorCode::kBlobNotFound);  // reads pass
  EXPECT_TRUE(meta.list_repositories("r", "", 10).has_value());
}

TEST(FaultPlan, WritersAndReadersAreWrappedToo) {
  auto raw = storage::blob::memory::make_memory_blob_store();
  auto plan = std::make_shared<FaultPlan>();
  storage::blob::faulty::FaultyBlobStore blobs(*raw, plan);
  auto writer = blobs.begin_upload("u1");  // mutating #1
  ASSERT_TRUE(writer.has_value());
  plan->arm(Fault{.nth = 3, .scope = FaultScope::kMutating});
  ASSERT_TRUE((*writer)->append(std::string_view("abc")));  // #2
  EXPECT_FALSE((*writer)->save_state().has_value());        // #3 fails
  auto info = (*writer)->commit(sha256_of("abc"));          // #4
  ASSERT_TRUE(info.has_value());
  plan->reset();
  plan->arm(Fault{.nth = 2, .scope = FaultScope::kAny});
  auto reader = blobs.open(sha256_of("abc"));  // any #1
  ASSERT_TRUE(reader.has_value());
  char buf[8];
  EXPECT_FALSE((*reader)->read(buf).has_value());  // any #2 fails
}

}  // namespace
}  // namespace berth::registry
