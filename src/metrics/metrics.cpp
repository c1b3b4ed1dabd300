#include "metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

namespace berth::metrics {

// ---- Histogram ----

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  double current = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

// ---- Family ----

// Both overloads hash the same text the same way.
template <class Series>
std::size_t Family<Series>::Hash::operator()(const Labels& labels) const {
  std::size_t h = 0;
  for (const std::string& v : labels) h = h * 1000003u ^ std::hash<std::string_view>()(v);
  return h;
}

template <class Series>
std::size_t Family<Series>::Hash::operator()(LabelViews labels) const {
  std::size_t h = 0;
  for (std::string_view v : labels) h = h * 1000003u ^ std::hash<std::string_view>()(v);
  return h;
}

template <class Series>
bool Family<Series>::Equal::operator()(LabelViews a, const Labels& b) const {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](std::string_view x, const std::string& y) { return x == y; });
}

template <class Series>
Series& Family<Series>::with(const Labels& values) {
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(values); it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = series_[values];
  if (!slot) {
    if constexpr (std::is_same_v<Series, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<Series>();
    }
  }
  return *slot;
}

template <class Series>
Series& Family<Series>::with(std::initializer_list<std::string_view> values) {
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(LabelViews(values.begin(), values.size())); it != series_.end()) {
      return *it->second;
    }
  }
  Labels labels;
  labels.reserve(values.size());
  for (std::string_view v : values) labels.emplace_back(v);
  return with(labels);
}

template <class Series>
std::vector<std::pair<Labels, const Series*>> Family<Series>::series() const {
  std::vector<std::pair<Labels, const Series*>> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [labels, series] : series_) out.emplace_back(labels, series.get());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- buckets ----

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
}

std::vector<double> size_buckets() {
  std::vector<double> out;
  for (double b = 1024; b <= 4.0 * 1024 * 1024 * 1024; b *= 4) out.push_back(b);
  return out;
}

// ---- rendering ----

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

namespace {

std::string label_text(const std::vector<std::string>& names, const Labels& values,
                       std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += (out.empty() ? "" : ",") + std::string(extra_name) + "=\"" + std::string(extra_value) +
           "\"";
  }
  return out.empty() ? "" : "{" + out + "}";
}

void header(std::string& out, const std::string& name, const std::string& help,
            std::string_view type) {
  out += "# HELP " + name + " " + help + "\n";
  out += "# TYPE " + name + " " + std::string(type) + "\n";
}

template <class Family>
void render_simple(std::string& out, const Family& family, std::string_view type) {
  header(out, family.name(), family.help(), type);
  for (const auto& [labels, series] : family.series()) {
    out += family.name() + label_text(family.label_names(), labels) + " " +
           format_value(series->value()) + "\n";
  }
}

void render_histogram(std::string& out, const HistogramFamily& family) {
  header(out, family.name(), family.help(), "histogram");
  for (const auto& [labels, series] : family.series()) {
    const auto counts = series->cumulative();
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const std::string le = i < family.bounds().size() ? format_value(family.bounds()[i]) : "+Inf";
      out += family.name() + "_bucket" + label_text(family.label_names(), labels, "le", le) + " " +
             std::to_string(counts[i]) + "\n";
    }
    out += family.name() + "_sum" + label_text(family.label_names(), labels) + " " +
           format_value(series->sum()) + "\n";
    out += family.name() + "_count" + label_text(family.label_names(), labels) + " " +
           std::to_string(series->count()) + "\n";
  }
}

}  // namespace

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  Entry e{Kind::kCounter};
  e.counter = std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(labels));
  entries_.push_back(std::move(e));
  return *entries_.back().counter;
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  Entry e{Kind::kGauge};
  e.gauge = std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(labels));
  entries_.push_back(std::move(e));
  return *entries_.back().gauge;
}

HistogramFamily& Registry::histogram(std::string name, std::string help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  Entry e{Kind::kHistogram};
  e.histogram = std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                                  std::move(labels), std::move(bounds));
  entries_.push_back(std::move(e));
  return *entries_.back().histogram;
}

void Registry::callback_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  Entry e{Kind::kGauge};
  e.callback = std::make_unique<Callback>(
      Callback{std::move(name), std::move(help), Kind::kGauge, std::move(read)});
  entries_.push_back(std::move(e));
}

void Registry::callback_counter(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  Entry e{Kind::kCounter};
  e.callback = std::make_unique<Callback>(
      Callback{std::move(name), std::move(help), Kind::kCounter, std::move(read)});
  entries_.push_back(std::move(e));
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const Entry& e : entries_) {
    if (e.callback) {
      header(out, e.callback->name, e.callback->help,
             e.callback->kind == Kind::kCounter ? "counter" : "gauge");
      out += e.callback->name + " " + format_value(e.callback->read()) + "\n";
    } else if (e.counter) {
      render_simple(out, *e.counter, "counter");
    } else if (e.gauge) {
      render_simple(out, *e.gauge, "gauge");
    } else if (e.histogram) {
      render_histogram(out, *e.histogram);
    }
  }
  return out;
}

}  // namespace berth::metrics
