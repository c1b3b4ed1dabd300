// The standard process collector's metrics (the names every Prometheus
// dashboard expects): process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and
// process_start_time_seconds, read from /proc/self at scrape time.
//
// Thread-safety: registers callbacks; they may run on any thread.
#pragma once

#include "metrics/metrics.hpp"

namespace berth::metrics {

void register_process_metrics(Registry& registry);

}  // namespace berth::metrics
