#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace berth::metrics {

namespace {

// Fields 14 and 15 (utime, stime, in clock ticks) of /proc/self/stat; the
// command name (field 2) may hold spaces, so fields are counted after ')'.
double cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 3; i <= 13; ++i) fields >> skip;
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// /proc/self/statm: size and resident, in pages.
std::pair<double, double> memory_bytes() {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  in >> size >> resident;
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  return {size * page, resident * page};
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

double max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

void register_process_metrics(Registry& registry) {
  const double started =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  registry.callback_counter("process_cpu_seconds_total", "User and system CPU time spent, seconds.",
                            cpu_seconds);
  registry.callback_gauge("process_resident_memory_bytes", "Resident memory size, bytes.",
                          [] { return memory_bytes().second; });
  registry.callback_gauge("process_virtual_memory_bytes", "Virtual memory size, bytes.",
                          [] { return memory_bytes().first; });
  registry.callback_gauge("process_open_fds", "Open file descriptors.", open_fds);
  registry.callback_gauge("process_max_fds", "Maximum open file descriptors.", max_fds);
  registry.callback_gauge("process_start_time_seconds",
                          "Start time of the process since the Unix epoch, seconds.",
                          [started] { return started; });
}

}  // namespace berth::metrics
