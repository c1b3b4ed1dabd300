#include "events/queue.hpp"

#include <algorithm>
#include <cstdio>
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

}  // namespace

Result<std::unique_ptr<DeliveryQueue>> DeliveryQueue::open(fs::path dir, std::size_t limit) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot create " + dir.string(), ec.message());
  std::unique_ptr<DeliveryQueue> queue(new DeliveryQueue(dir, limit));
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
  std::lock_guard lock(mu_);
  if (pending_.size() >= limit_) {
    return fail(ErrorCode::kLimitExceeded, "the delivery queue holds its limit of " +
                                               std::to_string(limit_) + " events");
  }
  const std::uint64_t seq = next_seq_++;
  const fs::path final_path = path_of(seq);
  const fs::path temp = dir_ / (".tmp-" + final_path.filename().string());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      return fail(ErrorCode::kUnavailable, "cannot write " + temp.string());
    }
  }
  std::error_code ec;
  fs::rename(temp, final_path, ec);
  if (ec) {
    fs::remove(temp, ec);
    return fail(ErrorCode::kUnavailable, "cannot write " + final_path.string(), ec.message());
  }
  pending_.push_back(seq);
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
