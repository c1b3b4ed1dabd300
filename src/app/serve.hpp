// `berth serve`: wires the configured backends, the core and the front ends
// to one HTTP listener, and runs until SIGTERM/SIGINT.
#pragma once

#include "app/config.hpp"

namespace berth::app {

// Returns the process exit code.
int run_serve(const Config& config);

}  // namespace berth::app
