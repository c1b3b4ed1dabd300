#include "registry/upload_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <tuple>
#include <utility>
#include <vector>

#include "registry/registry.hpp"
#include "util/offload.hpp"
#include "util/time.hpp"

namespace berth::registry {

namespace asio = boost::asio;
namespace blob = storage::blob;
using namespace asio::experimental::awaitable_operators;

namespace {

// How much one trip to the blocking pool writes: large enough that the hop
// costs nothing next to hashing and writing, small enough that two buffers
// per upload stay cheap with hundreds of uploads in flight.
constexpr std::size_t kAppendPiece = 256 * 1024;

Error spent_error(const std::string& id) {
  return Error{ErrorCode::kUploadNotFound, "upload session already ended", id};
}

// Reads from `source` until `buffer` is full or the source ends; returns the
// bytes read.
asio::awaitable<Result<std::size_t>> fill(ByteSource& source, std::span<char> buffer) {
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    Result<std::size_t> n = co_await source.read_some(buffer.subspan(filled));
    if (!n) co_return std::unexpected(std::move(n).error());
    if (*n == 0) break;
    filled += *n;
  }
  co_return filled;
}

}  // namespace

UploadSession::UploadSession(Registry& registry, storage::meta::RepositoryRecord repository,
                             std::string id, std::string lease_holder,
                             std::unique_ptr<blob::BlobWriter> writer,
                             std::uint64_t parts_so_far)
    : registry_(registry),
      repository_(std::move(repository)),
      id_(std::move(id)),
      lease_holder_(std::move(lease_holder)),
      writer_(std::move(writer)),
      lease_renewed_at_(std::chrono::steady_clock::now()),
      parts_so_far_(parts_so_far) {}

UploadSession::~UploadSession() {
  if (!writer_) return;
  // Unsaved: forget the writer (the next request resumes at the saved
  // size) and give the lease back without waiting for the store.
  writer_.reset();
  registry_.release_lease_later(id_, lease_holder_);
}

std::uint64_t UploadSession::size() const { return writer_ ? writer_->size() : 0; }

Status UploadSession::check_live() const {
  if (!writer_) return std::unexpected(spent_error(id_));
  return ok();
}

asio::awaitable<Status> UploadSession::keep_lease() {
  const auto now = std::chrono::steady_clock::now();
  if (now - lease_renewed_at_ < kUploadLeaseRenewal) co_return ok();
  Result<storage::meta::UploadRecord> renewed = co_await offload(registry_.blocking(), [&] {
    return registry_.meta().acquire_upload_lease(id_, lease_holder_, now_ms(),
                                                 kUploadLeaseTtl.count());
  });
  if (!renewed) co_return std::unexpected(std::move(renewed).error());
  lease_renewed_at_ = now;
  co_return ok();
}

asio::awaitable<Status> UploadSession::write(std::span<const char> bytes) {
  co_return co_await offload(registry_.blocking(), [&] { return writer_->append(bytes); });
}

asio::awaitable<void> UploadSession::release() {
  if (!writer_) co_return;
  writer_.reset();
  co_await offload(registry_.blocking(),
                   [this] { registry_.release_lease_now(id_, lease_holder_); });
}

asio::awaitable<Result<std::uint64_t>> UploadSession::append(ByteSource& source) {
  BERTH_CO_TRY_STATUS(check_live());
  std::vector<char> first(kAppendPiece), second(kAppendPiece);
  std::span<char> filling(first), writing(second);
  std::uint64_t appended = 0;

  Result<std::size_t> filled = co_await fill(source, filling);
  if (filled && *filled > 0) {
    // An empty chunk adds no part (and so is never refused).
    if (Status room = check_layer_parts_quota(registry_.options_.quotas, parts_so_far_, id_);
        !room) {
      filled = std::unexpected(std::move(room).error());
    }
  }
  if (!filled) {
    co_await release();
    co_return std::unexpected(std::move(filled).error());
  }
  while (*filled > 0) {
    std::swap(filling, writing);
    const std::span<const char> piece = writing.first(*filled);
    // The next piece arrives from the client while this one is hashed and
    // written; both end before the loop goes on. (Named first: g++ 12 and
    // temporaries inside co_await, see offload.hpp.)
    auto writing_piece = write(piece);
    auto reading_next = fill(source, filling);
    auto [wrote, next] = co_await (std::move(writing_piece) && std::move(reading_next));
    Status step = ok();
    if (!wrote) {
      step = std::move(wrote);
    } else if (!next) {
      step = std::unexpected(next.error());
    } else {
      step = co_await keep_lease();
    }
    if (!step) {
      co_await release();
      co_return std::unexpected(std::move(step).error());
    }
    appended += piece.size();
    filled = std::move(next);
  }
  co_return appended;
}

asio::awaitable<Status> UploadSession::append(std::span<const char> bytes) {
  BERTH_CO_TRY_STATUS(check_live());
  Status wrote = bytes.empty()
                     ? ok()
                     : check_layer_parts_quota(registry_.options_.quotas, parts_so_far_, id_);
  if (wrote) wrote = co_await write(bytes);
  if (!wrote) co_await release();
  co_return wrote;
}

asio::awaitable<Result<UploadStatus>> UploadSession::save() {
  BERTH_CO_TRY_STATUS(check_live());
  auto persist = [this]() -> Result<UploadStatus> {
    if (Status saved = writer_->save_state(); !saved) {
      writer_.reset();
      registry_.release_lease_now(id_, lease_holder_);
      return std::unexpected(std::move(saved).error());
    }
    const UploadStatus status{id_, writer_->size()};
    Status released = registry_.meta().release_upload_lease(id_, lease_holder_, status.size);
    if (!released) {
      writer_.reset();
      if (released.error().code == ErrorCode::kUploadNotFound) {
        // Cancelled, or its repository deleted, while this request wrote:
        // its bytes must not outlive it.
        (void)registry_.blobs().abort_upload(id_);
      } else {
        registry_.release_lease_now(id_, lease_holder_);
      }
      return std::unexpected(std::move(released).error());
    }
    registry_.park_writer(id_, std::move(writer_));
    return status;
  };
  Result<UploadStatus> saved = co_await offload(registry_.blocking(), std::move(persist));
  co_return saved;
}

asio::awaitable<Result<blob::BlobInfo>> UploadSession::commit(const oci::Digest& digest) {
  BERTH_CO_TRY_STATUS(check_live());
  // Named, not a temporary inside co_await: see the g++ 12 note in offload.hpp.
  auto finish = [this, digest, writer = std::move(writer_)]() mutable -> Result<blob::BlobInfo> {
    // Queued before the bytes land: a crash between the commit and the link
    // below leaves a blob nothing references, which the collector must see.
    auto& meta = registry_.meta();
    const Quotas& quotas = registry_.options_.quotas;
    // Refused before the bytes are committed, when the size alone says so:
    // then nothing of the upload is left (the client would start again).
    if (Status room = check_storage_quota(meta, quotas, repository_, digest, writer->size());
        !room) {
      if (room.error().code == ErrorCode::kQuotaExceeded) {
        writer.reset();
        (void)registry_.blobs().abort_upload(id_);
        (void)meta.delete_upload(id_);
      } else {
        registry_.release_lease_now(id_, lease_holder_);
      }
      return std::unexpected(std::move(room).error());
    }
    (void)meta.queue_blob_review(digest, now_ms(), repository_.registry);
    Result<blob::BlobInfo> committed = writer->commit(digest);
    writer.reset();
    if (!committed) {
      if (committed.error().code == ErrorCode::kDigestMismatch) {
        (void)registry_.meta().delete_upload(id_);
      } else {
        registry_.release_lease_now(id_, lease_holder_);
      }
      return committed;
    }
    // The blob is durable; only now may metadata point at it. This also
    // ends the upload's record, lease and all.
    // Checked again with the link, in one commit: another upload (or
    // process) may have taken the room meanwhile. Refused then, the bytes
    // are unlinked and queued above, so the collector takes them.
    Status linked = meta.in_one_commit([&]() -> Status {
      BERTH_TRY_STATUS(
          check_storage_quota(meta, quotas, repository_, committed->digest, committed->size));
      return meta.link_uploaded_blob(id_, repository_.id, committed->digest, committed->size,
                                     now_ms());
    });
    if (!linked) {
      if (linked.error().code == ErrorCode::kQuotaExceeded) (void)meta.delete_upload(id_);
      return std::unexpected(std::move(linked).error());
    }
    return committed;
  };
  co_return co_await offload(registry_.blocking(), std::move(finish));
}

asio::awaitable<Result<oci::Digest>> UploadSession::current_digest(oci::DigestAlgorithm alg) {
  BERTH_CO_TRY_STATUS(check_live());
  co_return co_await offload(registry_.blocking(), [&] { return writer_->current_digest(alg); });
}

}  // namespace berth::registry
