// ConcurrencyLimit: a counter of how many holders may do something at once
// (e.g. write into uploads), shared by every connection of a process.
// try_acquire() never waits: it hands out a Permit while fewer than max()
// are held, and nullopt otherwise, so a front end can answer "too many
// requests" at once rather than queue. A Permit gives its slot back when
// destroyed. A default-constructed Permit holds no slot (for "no limit").
//
// Thread-safety: try_acquire, in_use and Permit destruction may run
// concurrently on any threads. The limit must outlive its permits.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace berth::http {

class ConcurrencyLimit {
 public:
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::exchange(other.owner_, nullptr);
      }
      return *this;
    }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }

   private:
    friend class ConcurrencyLimit;
    explicit Permit(ConcurrencyLimit* owner) : owner_(owner) {}
    void release() {
      if (owner_) owner_->in_use_.fetch_sub(1, std::memory_order_acq_rel);
      owner_ = nullptr;
    }
    ConcurrencyLimit* owner_ = nullptr;
  };

  // REQUIRES: max >= 1.
  explicit ConcurrencyLimit(std::size_t max) : max_(max) {}
  ConcurrencyLimit(const ConcurrencyLimit&) = delete;
  ConcurrencyLimit& operator=(const ConcurrencyLimit&) = delete;

  // A slot, or nullopt when max() are already held.
  std::optional<Permit> try_acquire() {
    std::size_t current = in_use_.load(std::memory_order_relaxed);
    do {
      if (current >= max_) return std::nullopt;
    } while (!in_use_.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel,
                                            std::memory_order_relaxed));
    return Permit(this);
  }

  std::size_t max() const { return max_; }
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  const std::size_t max_;
  std::atomic<std::size_t> in_use_{0};
};

}  // namespace berth::http
