// Digest hot paths: SHA-256 over upload bodies (every blob byte pushed goes
// through crypto::Hasher), Digest::parse (every /v2/ URL and descriptor
// carries one), and the verify step an upload commit or a put_manifest by
// digest runs: hash, then compare with the digest the client named.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

#include "crypto/hasher.hpp"
#include "oci/digest.hpp"

namespace berth::bench {
namespace {

// sha256("abc"), FIPS 180-2 appendix B.1: proves the hasher under test is
// SHA-256 before any speed is reported.
constexpr std::string_view kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// Bytes that do not compress or repeat, like a gzip layer.
std::string layer_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15;
  for (char& c : bytes) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return bytes;
}

// The upload commit check (fs_blob_writer, Registry::put_manifest): the
// digest of what arrived must equal the digest the client named.
bool content_matches(std::string_view content, const oci::Digest& expected) {
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
  hasher.update(content);
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, hasher.hex_digest()) == expected;
}

void BM_Sha256Hasher(benchmark::State& state) {
  const std::string bytes = layer_bytes(static_cast<std::size_t>(state.range(0)));
  crypto::Hasher known(crypto::HashAlgorithm::kSha256);
  known.update("abc");
  // Incremental updates must agree with one-shot hashing, as resumed
  // uploads rely on.
  crypto::Hasher halves(crypto::HashAlgorithm::kSha256);
  halves.update(std::string_view(bytes).substr(0, bytes.size() / 2));
  halves.update(std::string_view(bytes).substr(bytes.size() / 2));
  if (known.hex_digest() != kAbcSha256 || halves.hex_digest() != crypto::sha256_hex(bytes)) {
    state.SkipWithError("Hasher does not compute SHA-256");
    return;
  }
  for (auto _ : state) {
    crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
    hasher.update(bytes);
    benchmark::DoNotOptimize(hasher.hex_digest());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256Hasher)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);

void BM_DigestParse(benchmark::State& state) {
  const std::string text = "sha256:" + crypto::sha256_hex("a layer");
  const std::string truncated = text.substr(0, text.size() - 1);
  auto parsed = oci::Digest::parse(text);
  if (!parsed || parsed->str() != text || oci::Digest::parse(truncated)) {
    state.SkipWithError("Digest::parse accepts or rejects the wrong strings");
    return;
  }
  for (auto _ : state) {
    auto digest = oci::Digest::parse(text);
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(BM_DigestParse);

void BM_DigestVerify(benchmark::State& state) {
  std::string content = layer_bytes(static_cast<std::size_t>(state.range(0)));
  auto expected = oci::Digest::parse("sha256:" + crypto::sha256_hex(content));
  if (!expected) {
    state.SkipWithError(expected.error().message.c_str());
    return;
  }
  std::string tampered = content;
  tampered[tampered.size() / 2] ^= 1;
  if (!content_matches(content, *expected) || content_matches(tampered, *expected)) {
    state.SkipWithError("digest verification gives the wrong answer");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(content_matches(content, *expected));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
// A manifest-sized body and a layer-sized one.
BENCHMARK(BM_DigestVerify)->Arg(4 << 10)->Arg(1 << 20);

}  // namespace
}  // namespace berth::bench
