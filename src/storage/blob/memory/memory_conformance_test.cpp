// Runs the shared BlobStore conformance suite over the in-memory store.
#include "conformance/blob_store_suite.hpp"
#include "storage/blob/memory/memory_blob_store.hpp"

namespace berth::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, BlobStoreConformance,
                         ::testing::Values(BlobStoreFactory{
                             "Memory", [] { return storage::blob::memory::make_memory_blob_store(); },
                             nullptr}),
                         blob_store_factory_name);

}  // namespace
}  // namespace berth::conformance
