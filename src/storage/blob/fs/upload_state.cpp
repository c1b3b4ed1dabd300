#include "storage/blob/fs/upload_state.hpp"

#include <cstring>

namespace berth::storage::blob::fs {

namespace {

constexpr std::string_view kMagic = "bupst001";
constexpr std::size_t kChecksumLength = 64;

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof value) return false;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(sizeof value);
  return true;
}

}  // namespace

std::string encode_upload_state(const UploadState& state) {
  std::string hasher_state = state.sha256.export_state();
  std::string out(kMagic);
  put<std::uint64_t>(out, state.size);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(hasher_state.size()));
  out.append(hasher_state);
  out.append(crypto::sha256_hex(out));
  return out;
}

Result<UploadState> decode_upload_state(std::string_view bytes) {
  auto corrupt = [](std::string_view why) {
    return fail(ErrorCode::kCorruption, "upload state is corrupt", std::string(why));
  };
  if (bytes.size() < kMagic.size() + kChecksumLength ||
      bytes.substr(0, kMagic.size()) != kMagic) {
    return corrupt("bad magic");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kChecksumLength);
  if (crypto::sha256_hex(body) != bytes.substr(body.size())) return corrupt("bad checksum");

  std::string_view in = body.substr(kMagic.size());
  std::uint64_t size = 0;
  std::uint32_t state_length = 0;
  if (!take(in, size) || !take(in, state_length) || in.size() != state_length) {
    return corrupt("bad length");
  }
  crypto::Hasher hasher = BERTH_TRY(crypto::Hasher::import_state(in));
  if (hasher.algorithm() != crypto::HashAlgorithm::kSha256 || hasher.bytes_hashed() != size) {
    return corrupt("hash state does not match size");
  }
  return UploadState{size, std::move(hasher)};
}

}  // namespace berth::storage::blob::fs
