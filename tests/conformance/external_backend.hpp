// Backends outside the test process (a PostgreSQL server, an S3-compatible
// store) are named by environment variables. When one is absent, the tests
// that need it are skipped with a message naming the variable, unless
// BERTH_REQUIRE_BACKENDS=1 (CI sets it), which turns the skip into a
// failure: in CI, a backend that did not start must not pass silently.
//
// Thread-safety: call from a test's thread (GoogleTest assertions).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace berth::conformance {

inline bool backends_required() {
  const char* value = std::getenv("BERTH_REQUIRE_BACKENDS");
  return value != nullptr && std::string_view(value) == "1";
}

// Sets *value to the variable's value. When it is unset or empty, leaves
// *value empty and skips the current test, or fails it (fatally) under
// BERTH_REQUIRE_BACKENDS=1; the caller then returns (check IsSkipped() and
// HasFatalFailure() in SetUp). `what` names the backend in the message.
inline void require_backend_env(const char* variable, std::string_view what,
                                std::string* value) {
  value->clear();
  const char* set = std::getenv(variable);
  if (set != nullptr && *set != '\0') {
    *value = set;
    return;
  }
  if (backends_required()) {
    FAIL() << what << ": " << variable
           << " is not set, and BERTH_REQUIRE_BACKENDS=1 requires every backend";
  }
  GTEST_SKIP() << what << ": set " << variable << " to run these cases";
}

}  // namespace berth::conformance
