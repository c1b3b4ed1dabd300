// EventDispatcher: the registry's event sink for webhooks. publish() turns
// an event into each interested endpoint's body and appends it to that
// endpoint's persistent queue (queue.hpp), then returns: the change that
// caused it never waits for a receiver. One delivery thread per endpoint
// sends its queue in order, oldest first (a pipeline sees a tag pushed
// before it is deleted); a failed attempt (no answer, or a status outside
// 2xx) is retried after retry_delay(), and after max_attempts the event is
// given up on and counted. Pending events stay on disk across restarts.
//
// GET /metrics, per endpoint:
//   berth_events_queued{endpoint}                   gauge: pending now
//   berth_events_delivered_total{endpoint}          counter
//   berth_events_delivery_failures_total{endpoint}  counter: failed attempts
//   berth_events_failed_total{endpoint}             counter: given up after max_attempts
//   berth_events_dropped_total{endpoint}            counter: queue full or unwritable
//
// Headers of every delivery: Content-Type (events/format.hpp), User-Agent
// berth/<version>, X-Berth-Delivery-Attempt, the endpoint's own headers,
// and X-Berth-Signature-256 when it has a secret.
//
// Thread-safety: publish() from any thread; start() and stop() from one.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/config.hpp"
#include "events/queue.hpp"
#include "events/webhook_client.hpp"
#include "metrics/metrics.hpp"
#include "registry/events.hpp"

namespace berth::events {

// Sends one body; the default is post_webhook. Tests substitute their own.
using Sender = std::function<Result<unsigned>(const Endpoint&, const HeaderList&,
                                              const std::string& body)>;

struct DispatcherOptions {
  std::filesystem::path queue_dir;  // <data-dir>/events: one subdirectory per endpoint
  std::string source;               // CloudEvents "source": the public URL
  std::string user_agent = "berth";
  Sender sender;                    // unset: post_webhook
};

class EventDispatcher {
 public:
  // Opens every endpoint's queue; kUnavailable when one cannot be.
  static Result<std::unique_ptr<EventDispatcher>> open(EventsConfig config,
                                                       DispatcherOptions options,
                                                       metrics::Registry& metrics);
  ~EventDispatcher();  // stops
  EventDispatcher(const EventDispatcher&) = delete;
  EventDispatcher& operator=(const EventDispatcher&) = delete;

  void publish(const registry::RegistryEvent& event);
  // As a registry::EventSink; this must outlive the registry's use of it.
  registry::EventSink sink() {
    return [this](const registry::RegistryEvent& event) { publish(event); };
  }

  void start();
  // Ends the deliveries (one in flight finishes or times out); what is
  // pending stays queued on disk.
  void stop();

 private:
  struct Lane;
  explicit EventDispatcher(DispatcherOptions options);
  void deliver(Lane& lane);
  // Waits `delay` unless stopped; false when stopped.
  bool pause(std::chrono::milliseconds delay);

  DispatcherOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace berth::events
