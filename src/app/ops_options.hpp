// The `berth serve` flags for operating it: --log-format, --admin-listen,
// --metrics-auth, --shutdown-delay (README "Running in production").
//
// Thread-safety: CLI setup, one thread.
#pragma once

#include <CLI/CLI.hpp>

#include "app/config.hpp"

namespace berth::app {

void add_ops_options(CLI::App& serve, Config& config);

}  // namespace berth::app
