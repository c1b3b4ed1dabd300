// The metered decorators pass both conformance suites over the memory
// backends (so every call is forwarded whole), and record what they see.
#include <gtest/gtest.h>

#include "conformance/blob_store_suite.hpp"
#include "conformance/meta_store_suite.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"
#include "storage/metered/metered_blob_store.hpp"
#include "storage/metered/metered_meta_store.hpp"

namespace berth::storage::metered {
namespace {

using conformance::BlobStoreConformance;
using conformance::MetaStoreConformance;

metrics::Registry& shared_registry() {
  static metrics::Registry registry;
  return registry;
}

StoreMetrics& shared_metrics() {
  static StoreMetrics metrics(shared_registry());
  return metrics;
}

INSTANTIATE_TEST_SUITE_P(
    Metered, BlobStoreConformance,
    ::testing::Values(conformance::BlobStoreFactory{
        "MeteredMemory",
        [] {
          return std::unique_ptr<blob::BlobStore>(std::make_unique<MeteredBlobStore>(
              blob::memory::make_memory_blob_store(), "memory", shared_metrics()));
        },
        nullptr}),
    conformance::blob_store_factory_name);

INSTANTIATE_TEST_SUITE_P(
    Metered, MetaStoreConformance,
    ::testing::Values(conformance::MetaStoreFactory{
        "MeteredMemory",
        [] {
          return std::unique_ptr<meta::MetaStore>(std::make_unique<MeteredMetaStore>(
              meta::memory::make_memory_meta_store(), "memory", shared_metrics()));
        },
        nullptr}),
    conformance::meta_store_factory_name);

TEST(MeteredStores, CallsAndRealErrorsAreRecordedButNotFoundsAreNotErrors) {
  metrics::Registry registry;
  StoreMetrics metrics(registry);
  MeteredMetaStore meta(meta::memory::make_memory_meta_store(), "memory", metrics);
  EXPECT_FALSE(meta.get_repository("r", "absent").has_value());  // not found: no error
  EXPECT_FALSE(meta.update_repository_settings(9999, "{}").has_value());  // not found either
  EXPECT_FALSE(meta.create_upload({"", 9999, 0}).has_value());
  const std::string text = registry.render();
  EXPECT_NE(text.find("berth_store_call_duration_seconds_count{store=\"meta\",backend=\"memory\","
                      "operation=\"get_repository\"} 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("operation=\"get_repository\",code="), std::string::npos) << text;
}

// A pull by tag stays one backend call (one query on SQLite/PostgreSQL),
// not the interface's default pair of lookups.
TEST(MeteredStores, PullByTagIsForwardedWhole) {
  metrics::Registry registry;
  StoreMetrics metrics(registry);
  MeteredMetaStore meta(meta::memory::make_memory_meta_store(), "memory", metrics);
  auto repo = meta.ensure_repository("r", "a", 1);
  ASSERT_TRUE(repo.has_value());
  EXPECT_FALSE(meta.get_manifest_by_tag(repo->id, "absent").has_value());
  const std::string text = registry.render();
  EXPECT_NE(text.find(R"(operation="get_manifest_by_tag"} 1)"), std::string::npos) << text;
  EXPECT_EQ(text.find(R"(operation="resolve_tag")"), std::string::npos) << text;
}

TEST(MeteredStores, EachBackendKeepsItsOwnSeriesWhenThreadsCacheThem) {
  metrics::Registry registry;
  StoreMetrics metrics(registry);
  MeteredMetaStore first(meta::memory::make_memory_meta_store(), "first", metrics);
  MeteredMetaStore second(meta::memory::make_memory_meta_store(), "second", metrics);
  for (int i = 0; i < 3; ++i) (void)first.get_repository("r", "a");
  (void)second.get_repository("r", "a");
  std::string dynamic_name = "dyn";  // a name that is not a literal
  for (int i = 0; i < 2; ++i) {
    (void)metrics.measure("meta", "memory", dynamic_name, [] { return ok(); });
  }
  dynamic_name = "other";
  (void)metrics.measure("meta", "memory", dynamic_name, [] { return ok(); });
  const std::string text = registry.render();
  for (std::string_view line :
       {R"(berth_store_call_duration_seconds_count{store="meta",backend="first",operation="get_repository"} 3)",
        R"(berth_store_call_duration_seconds_count{store="meta",backend="second",operation="get_repository"} 1)",
        R"(berth_store_call_duration_seconds_count{store="meta",backend="memory",operation="dyn"} 2)",
        R"(berth_store_call_duration_seconds_count{store="meta",backend="memory",operation="other"} 1)"}) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace berth::storage::metered
