// Runs the shared MetaStore conformance suite over the in-memory backend.
#include "conformance/meta_store_suite.hpp"
#include "storage/meta/memory/memory_meta_store.hpp"

namespace berth::conformance {
namespace {

MetaStoreFactory memory_factory() {
  return {"Memory", [] { return storage::meta::memory::make_memory_meta_store(); }, nullptr};
}

INSTANTIATE_TEST_SUITE_P(Memory, MetaStoreConformance, ::testing::Values(memory_factory()),
                         meta_store_factory_name);

}  // namespace
}  // namespace berth::conformance
