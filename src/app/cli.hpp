// The command line: `berth serve [flags]`, `berth version`, `berth --help`.
#pragma once

#include <functional>

#include "app/config.hpp"

namespace berth::app {

// Parses argv and runs the chosen subcommand; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace berth::app
