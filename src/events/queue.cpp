#include "events/queue.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace berth::events {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".json";

// "0000000000000042.json" -> 42; nullopt for anything else (temporaries).
std::optional<std::uint64_t> seq_of(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != 16 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    seq = seq * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return seq;
}

// The nearest of `dir` and its ancestors that exists ("" when none does).
fs::path existing_ancestor(const fs::path& dir) {
  std::error_code ec;
  for (fs::path at = dir; !at.empty(); at = at.parent_path()) {
    if (fs::exists(at, ec)) return at;
    if (at == at.parent_path()) break;
  }
  return {};
}

}  // namespace

Status fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(ErrorCode::kUnavailable, "cannot open " + path.string() + " to sync it",
                std::strerror(errno));
  }
  int synced = 0;
  do {
    synced = ::fsync(fd);
  } while (synced != 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (synced != 0) {
    return fail(ErrorCode::kUnavailable, "cannot sync " + path.string(), std::strerror(err));
  }
  return ok();
}

Result<std::unique_ptr<DeliveryQueue>> DeliveryQueue::open(fs::path dir, std::size_t limit,
                                                           SyncPath sync) {
  std::error_code ec;
  const fs::path existed = existing_ancestor(dir);
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot create " + dir.string(), ec.message());
  // Each directory made here is an entry in its parent: sync the parents up
  // to the one that already existed, or the queue could vanish whole.
  for (fs::path made = dir; made != existed && made.has_parent_path() && made != made.parent_path();
       made = made.parent_path()) {
    BERTH_TRY_STATUS(sync(made.parent_path()));
  }
  std::unique_ptr<DeliveryQueue> queue(new DeliveryQueue(dir, limit, std::move(sync)));
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (auto seq = seq_of(it->path())) {
      queue->pending_.push_back(*seq);
    } else if (it->path().filename().string().starts_with(".tmp-")) {
      fs::remove(it->path(), ec);  // a write a crash interrupted
      ec.clear();
    }
  }
  if (ec) return fail(ErrorCode::kUnavailable, "cannot read " + dir.string(), ec.message());
  std::sort(queue->pending_.begin(), queue->pending_.end());
  if (!queue->pending_.empty()) queue->next_seq_ = queue->pending_.back() + 1;
  return queue;
}

fs::path DeliveryQueue::path_of(std::uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.json", static_cast<unsigned long long>(seq));
  return dir_ / name;
}

Status DeliveryQueue::push(const std::string& body) {
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    if (pending_.size() + writing_ >= limit_) {
      return fail(ErrorCode::kLimitExceeded, "the delivery queue holds its limit of " +
                                                 std::to_string(limit_) + " events");
    }
    seq = next_seq_++;
    ++writing_;
  }
  // Outside the lock: the syncs are most of a push, and concurrent pushes
  // (and the delivery thread) should not wait behind each other's.
  Status written = write_durably(seq, body);
  std::lock_guard lock(mu_);
  --writing_;
  if (!written) return written;
  // A later seq may have finished first; keep the queue in seq order.
  pending_.insert(std::upper_bound(pending_.begin(), pending_.end(), seq), seq);
  return ok();
}

Status DeliveryQueue::write_durably(std::uint64_t seq, const std::string& body) {
  const fs::path final_path = path_of(seq);
  const fs::path temp = dir_ / (".tmp-" + final_path.filename().string());
  std::error_code ec;
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.close();
    if (!out) {
      fs::remove(temp, ec);
      return fail(ErrorCode::kUnavailable, "cannot write " + temp.string());
    }
  }
  // The body before its name: a rename that reached the disk ahead of the
  // data would leave an empty or partial event under a final name.
  if (Status synced = sync_(temp); !synced) {
    fs::remove(temp, ec);
    return synced;
  }
  fs::rename(temp, final_path, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(temp, ec);
    return fail(ErrorCode::kUnavailable, "cannot write " + final_path.string(), why);
  }
  // The name itself: until the directory is synced a power loss may undo
  // the rename. On failure the file stays and a reopen would find it, but
  // this push reports failure, so take it back rather than deliver an
  // event counted as dropped.
  if (Status synced = sync_(dir_); !synced) {
    fs::remove(final_path, ec);
    return synced;
  }
  return ok();
}

std::optional<DeliveryQueue::Entry> DeliveryQueue::front() {
  for (;;) {
    std::uint64_t seq = 0;
    {
      std::lock_guard lock(mu_);
      if (pending_.empty()) return std::nullopt;
      seq = pending_.front();
    }
    std::ifstream in(path_of(seq), std::ios::binary);
    if (in) {
      std::stringstream body;
      body << in.rdbuf();
      return Entry{seq, body.str()};
    }
    (void)pop(seq);  // removed behind our back: nothing to deliver
  }
}

Status DeliveryQueue::pop(std::uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    auto it = std::find(pending_.begin(), pending_.end(), seq);
    if (it == pending_.end()) return ok();
    pending_.erase(it);
  }
  std::error_code ec;
  fs::remove(path_of(seq), ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot remove a delivered event", ec.message());
  return ok();
}

std::size_t DeliveryQueue::size() {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace berth::events
