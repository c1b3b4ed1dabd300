// SessionRegistry: the set of live connections of one Server, so stop() can
// reach every session. Holds weak references only: a session's lifetime is
// its own coroutine's, and it removes itself when it ends.
//
// Thread-safety: all methods are safe from any thread (one mutex, taken only
// when a connection opens or closes and during shutdown, never per request).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace berth::http {

class Session;

class SessionRegistry {
 public:
  SessionRegistry() = default;
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // Returns false when the server is already stopping: the caller must close
  // the connection instead of serving it.
  bool add(Session* key, std::weak_ptr<Session> session);
  void remove(Session* key);

  // Enters stopping mode and returns the sessions alive now. `on_empty` runs
  // once, on whichever thread removes the last session (or never, when none
  // is left to remove: check `size()` afterwards).
  std::vector<std::shared_ptr<Session>> begin_stop(std::function<void()> on_empty);
  std::vector<std::shared_ptr<Session>> live() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  bool stopping_ = false;
  std::function<void()> on_empty_;
};

}  // namespace berth::http
