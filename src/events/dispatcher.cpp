#include "events/dispatcher.hpp"

#include "crypto/ids.hpp"
#include "events/format.hpp"
#include "util/log.hpp"

namespace berth::events {

struct EventDispatcher::Lane {
  Endpoint endpoint;
  std::unique_ptr<DeliveryQueue> queue;
  std::thread thread;
  metrics::Gauge* queued = nullptr;
  metrics::Counter* delivered = nullptr;
  metrics::Counter* attempt_failures = nullptr;
  metrics::Counter* failed = nullptr;
  metrics::Counter* dropped = nullptr;
};

Result<std::unique_ptr<EventDispatcher>> EventDispatcher::open(EventsConfig config,
                                                              DispatcherOptions options,
                                                              metrics::Registry& metrics) {
  std::unique_ptr<EventDispatcher> out(new EventDispatcher(std::move(options)));
  auto& queued = metrics.gauge("berth_events_queued", "Webhook events waiting for delivery.",
                               {"endpoint"});
  auto& delivered = metrics.counter("berth_events_delivered_total",
                                    "Webhook events a receiver accepted (2xx).", {"endpoint"});
  auto& attempt_failures =
      metrics.counter("berth_events_delivery_failures_total",
                      "Webhook delivery attempts that failed (no answer, or not 2xx); retried.",
                      {"endpoint"});
  auto& failed = metrics.counter("berth_events_failed_total",
                                 "Webhook events given up on after max_attempts.", {"endpoint"});
  auto& dropped = metrics.counter("berth_events_dropped_total",
                                  "Webhook events never queued: the queue was full or unwritable.",
                                  {"endpoint"});
  for (Endpoint& endpoint : config.endpoints) {
    auto lane = std::make_unique<Lane>();
    lane->queue = BERTH_TRY(
        DeliveryQueue::open(out->options_.queue_dir / endpoint.name, endpoint.queue_limit));
    lane->queued = &queued.with({endpoint.name});
    lane->delivered = &delivered.with({endpoint.name});
    lane->attempt_failures = &attempt_failures.with({endpoint.name});
    lane->failed = &failed.with({endpoint.name});
    lane->dropped = &dropped.with({endpoint.name});
    lane->queued->set(static_cast<double>(lane->queue->size()));
    lane->endpoint = std::move(endpoint);
    out->lanes_.push_back(std::move(lane));
  }
  if (!out->options_.sender) {
    out->options_.sender = [](const Endpoint& endpoint, const HeaderList& headers,
                              const std::string& body) {
      return post_webhook(endpoint.url, headers, body, endpoint.timeout);
    };
  }
  return out;
}

EventDispatcher::EventDispatcher(DispatcherOptions options) : options_(std::move(options)) {}

EventDispatcher::~EventDispatcher() { stop(); }

void EventDispatcher::publish(const registry::RegistryEvent& event) {
  const std::string id = crypto::new_uuid();
  bool queued_any = false;
  for (auto& lane : lanes_) {
    if (!lane->endpoint.kinds.contains(event.kind)) continue;
    auto body = event_body(event, lane->endpoint.format, id, options_.source);
    if (!body) continue;
    if (Status pushed = lane->queue->push(*body); !pushed) {
      lane->dropped->add();
      log::warn("events: {} dropped for {}: {}", registry::to_string(event.kind),
                lane->endpoint.name, pushed.error().message);
      continue;
    }
    lane->queued->set(static_cast<double>(lane->queue->size()));
    queued_any = true;
  }
  if (queued_any) {
    // Through the mutex, so a lane between its check and its wait still
    // hears it.
    { std::lock_guard lock(mu_); }
    wake_.notify_all();
  }
}

void EventDispatcher::start() {
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) continue;
    lane->thread = std::thread([this, raw = lane.get()] { deliver(*raw); });
  }
}

void EventDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

bool EventDispatcher::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, delay, [this] { return stopping_; });
}

void EventDispatcher::deliver(Lane& lane) {
  const Endpoint& endpoint = lane.endpoint;
  unsigned failures = 0;  // of the event at the front
  std::uint64_t front_seq = 0;
  for (;;) {
    std::optional<DeliveryQueue::Entry> entry;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || (entry = lane.queue->front()).has_value(); });
      if (stopping_) return;
    }
    if (entry->seq != front_seq) {
      front_seq = entry->seq;
      failures = 0;
    }
    HeaderList headers{{"Content-Type", content_type(endpoint.format)},
                       {"User-Agent", options_.user_agent},
                       {"X-Berth-Delivery-Attempt", std::to_string(failures + 1)}};
    for (const auto& header : endpoint.headers) headers.push_back(header);
    if (!endpoint.secret.empty()) {
      headers.emplace_back("X-Berth-Signature-256", signature(endpoint.secret, entry->body));
    }
    Result<unsigned> answer = options_.sender(endpoint, headers, entry->body);
    if (answer && *answer >= 200 && *answer < 300) {
      (void)lane.queue->pop(entry->seq);
      lane.delivered->add();
      lane.queued->set(static_cast<double>(lane.queue->size()));
      continue;
    }
    lane.attempt_failures->add();
    ++failures;
    const std::string why = answer ? "HTTP " + std::to_string(*answer)
                                   : answer.error().message + (answer.error().detail.empty()
                                                                   ? ""
                                                                   : ": " + answer.error().detail);
    if (failures >= endpoint.max_attempts) {
      log::warn("events: giving up on an event for {} after {} attempts (last: {})", endpoint.name,
                failures, why);
      (void)lane.queue->pop(entry->seq);
      lane.failed->add();
      lane.queued->set(static_cast<double>(lane.queue->size()));
      continue;
    }
    const auto delay = retry_delay(endpoint, failures);
    log::debug("events: delivery to {} failed ({}), retrying in {} ms", endpoint.name, why,
               delay.count());
    if (!pause(delay)) return;
  }
}

}  // namespace berth::events
