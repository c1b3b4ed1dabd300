// The test clock: TEST ONLY. It lets an integration test move berth's
// registry clock (util/time.hpp now_ms()) without sleeping, e.g. to see a
// lifecycle rule of "older than 14 days" act, or a restore finish.
//
// The clock is a file holding one integer: the instant, in milliseconds
// since the Unix epoch, at which now_ms() stands still. The file is read on
// every call, so a test moves time by replacing it (write a temporary file,
// rename it over the old one); a missing or empty file means the system
// clock. Content that is not such an integer keeps the last instant read.
//
// It is never on by default and is not a feature: the command line
// installs it only when the environment holds both BERTH_TEST_MODE=1 and
// BERTH_TEST_CLOCK=<file>, logs a warning when it does, and refuses to run
// when BERTH_TEST_CLOCK is set without the switch (app/cli.cpp,
// tests/integration/README.md). SigV4 request dates are always checked
// against the system clock (system_now_ms()).
//
// Thread-safety: install once, before other threads call now_ms();
// test_clock_now_ms() is safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "util/result.hpp"

namespace berth {

// kInvalidArgument when `file` is empty; the file itself need not exist yet.
Status install_test_clock(const std::filesystem::path& file);

// The instant the installed test clock stands at; nullopt when none is
// installed or its file is missing or empty.
std::optional<std::int64_t> test_clock_now_ms();

}  // namespace berth
