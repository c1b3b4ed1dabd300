// Test support: runs a coroutine of the core to completion on a private
// io_context, so unit tests drive the awaitable byte path (UploadSession,
// read_blob) the way a front end does, one call at a time. Tests only.
//
// Thread-safety: each call has its own io_context; the awaited work may hop
// to the Registry's blocking pool and back.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <string_view>
#include <type_traits>

#include "crypto/hasher.hpp"
#include "registry/registry.hpp"

namespace berth::registry::testing {

template <class T>
T run_sync(boost::asio::awaitable<T> work) {
  boost::asio::io_context io;
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(io, std::move(work), boost::asio::detached);
    io.run();
  } else {
    std::optional<T> out;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(work)); },
        boost::asio::detached);
    io.run();
    return std::move(*out);
  }
}

inline oci::Digest sha256_of(std::string_view bytes) {
  return oci::Digest::from_hex(oci::DigestAlgorithm::kSha256, crypto::sha256_hex(bytes));
}

// Pushes `bytes` as one blob through an upload session, as a client's
// monolithic push does.
inline Result<BlobInfo> push_blob(Registry& registry, const RepositoryRef& repo,
                                  std::string_view bytes) {
  return run_sync([&]() -> boost::asio::awaitable<Result<BlobInfo>> {
    auto session = co_await registry.begin_upload_session(repo);
    if (!session) co_return std::unexpected(session.error());
    auto appended = co_await (*session)->append(std::span<const char>(bytes.data(), bytes.size()));
    if (!appended) co_return std::unexpected(appended.error());
    co_return co_await (*session)->commit(sha256_of(bytes));
  }());
}

// Opens an upload, appends one chunk and saves it (a PATCH).
inline Result<UploadStatus> append_chunk(Registry& registry, const RepositoryRef& repo,
                                         std::string_view id, std::string_view bytes) {
  return run_sync([&]() -> boost::asio::awaitable<Result<UploadStatus>> {
    auto session = co_await registry.open_upload(repo, id);
    if (!session) co_return std::unexpected(session.error());
    auto appended = co_await (*session)->append(std::span<const char>(bytes.data(), bytes.size()));
    if (!appended) co_return std::unexpected(appended.error());
    co_return co_await (*session)->save();
  }());
}

// Opens an upload and commits it under `digest` (the final PUT).
inline Result<BlobInfo> commit_upload(Registry& registry, const RepositoryRef& repo,
                                      std::string_view id, const oci::Digest& digest) {
  return run_sync([&]() -> boost::asio::awaitable<Result<BlobInfo>> {
    auto session = co_await registry.open_upload(repo, id);
    if (!session) co_return std::unexpected(session.error());
    co_return co_await (*session)->commit(digest);
  }());
}

}  // namespace berth::registry::testing
