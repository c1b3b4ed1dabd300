#include "http/session_registry.hpp"

namespace berth::http {

bool SessionRegistry::add(Session* key, std::weak_ptr<Session> session) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  sessions_.emplace(key, std::move(session));
  return true;
}

void SessionRegistry::remove(Session* key) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    if (sessions_.erase(key) == 0) return;
    if (stopping_ && sessions_.empty()) notify = std::move(on_empty_);
  }
  // Outside the lock: the callback may post work that calls back in here.
  if (notify) notify();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::begin_stop(
    std::function<void()> on_empty) {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  on_empty_ = std::move(on_empty);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

std::vector<std::shared_ptr<Session>> SessionRegistry::live() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace berth::http
