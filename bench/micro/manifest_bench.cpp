// oci::parse_manifest on what clients push: every PUT of a manifest (and
// ECR PutImage) parses and validates the body before anything is stored.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "sample_manifests.hpp"

namespace berth::bench {
namespace {

namespace mt = oci::media_types;

// Parses once and checks the result has the expected shape, so a parser
// that fails (or drops descriptors) cannot report a speed.
bool parses_as(benchmark::State& state, std::string_view body, std::string_view content_type,
               oci::ManifestKind kind, std::size_t descriptors) {
  auto parsed = oci::parse_manifest(body, content_type);
  if (!parsed) {
    state.SkipWithError(parsed.error().message.c_str());
    return false;
  }
  std::size_t found = kind == oci::ManifestKind::kImage ? parsed->layers.size()
                                                        : parsed->manifests.size();
  if (parsed->kind != kind || found != descriptors ||
      (kind == oci::ManifestKind::kImage && !parsed->config)) {
    state.SkipWithError("parse_manifest returned the wrong structure");
    return false;
  }
  return true;
}

void run_parse_loop(benchmark::State& state, std::string_view body,
                    std::string_view content_type) {
  for (auto _ : state) {
    auto parsed = oci::parse_manifest(body, content_type);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void BM_ParseOciImageManifest(benchmark::State& state) {
  const SampleImage image = oci_image_manifest(1, 5);
  if (!parses_as(state, image.content, mt::kOciManifest, oci::ManifestKind::kImage, 5)) return;
  run_parse_loop(state, image.content, mt::kOciManifest);
}
BENCHMARK(BM_ParseOciImageManifest);

void BM_ParseDockerSchema2Manifest(benchmark::State& state) {
  const SampleImage image = docker_schema2_manifest(1, 5);
  if (!parses_as(state, image.content, mt::kDockerManifest, oci::ManifestKind::kImage, 5)) return;
  run_parse_loop(state, image.content, mt::kDockerManifest);
}
BENCHMARK(BM_ParseDockerSchema2Manifest);

void BM_ParseOciImageIndex(benchmark::State& state) {
  const std::string index = oci_image_index(1, 8);
  if (!parses_as(state, index, mt::kOciIndex, oci::ManifestKind::kIndex, 8)) return;
  run_parse_loop(state, index, mt::kOciIndex);
}
BENCHMARK(BM_ParseOciImageIndex);

}  // namespace
}  // namespace berth::bench
