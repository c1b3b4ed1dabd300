// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
// A family is declared once (name, help, label names, for histograms the
// bucket bounds); a labelled series is found or created by its label
// values and then updated with atomics, so the hot path (one request) costs
// a hash lookup under a shared lock and a few atomic adds. Callers that
// update one series often keep the reference: series are never removed.
// Gauges whose value lives elsewhere (process RSS, uploads in flight) are
// callbacks, read at scrape time.
//
// Names follow Prometheus conventions: base units (seconds, bytes),
// counters end in _total. The registry does not enforce them; berth's
// families are declared beside what they measure (app/request_metrics,
// app/job_metrics, storage/metered/store_metrics) and listed in the README's
// Metrics section.
//
// Thread-safety: everything is safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace berth::metrics {

class Counter {
 public:
  void add(double v = 1) {
    double current = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) {
    double current = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v);
  // Cumulative counts per bound (then +Inf), the sum and the count.
  std::vector<std::uint64_t> cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>& bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, +Inf last
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

enum class Kind { kCounter, kGauge, kHistogram };

// Label values in the family's label-name order.
using Labels = std::vector<std::string>;

// One metric name with its labelled series.
template <class Series>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The series with these label values, created on first use.
  Series& with(const Labels& values);
  Series& with(std::initializer_list<std::string_view> values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // A snapshot of every series, in label order, for rendering.
  std::vector<std::pair<Labels, const Series*>> series() const;

 private:
  // Transparent, so with(initializer_list) finds an existing series from
  // views, without building a Labels (no allocation on the hot path).
  using LabelViews = std::span<const std::string_view>;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const Labels& labels) const;
    std::size_t operator()(LabelViews labels) const;
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(const Labels& a, const Labels& b) const { return a == b; }
    bool operator()(LabelViews a, const Labels& b) const;
    bool operator()(const Labels& a, LabelViews b) const { return (*this)(b, a); }
  };
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::unordered_map<Labels, std::unique_ptr<Series>, Hash, Equal> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Bounds for latencies in seconds: 100 µs to 60 s.
std::vector<double> latency_buckets();
// Bounds for sizes in bytes: 1 KiB to 4 GiB, by 4.
std::vector<double> size_buckets();

class Registry {
 public:
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> labels,
                             std::vector<double> bounds);
  // A gauge without labels whose value is read at scrape time.
  void callback_gauge(std::string name, std::string help, std::function<double()> read);
  // The same, as a counter (a value that only grows, kept elsewhere).
  void callback_counter(std::string name, std::string help, std::function<double()> read);

  // Every family in the text exposition format, in declaration order.
  std::string render() const;

 private:
  struct Callback {
    std::string name, help;
    Kind kind;
    std::function<double()> read;
  };
  struct Entry {
    Kind kind;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
    std::unique_ptr<Callback> callback;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// The text format's escaping of a label value (\\, \", \n).
std::string escape_label_value(std::string_view value);
// A sample value as the text format writes it (integers without a point).
std::string format_value(double v);

}  // namespace berth::metrics
