// Config: every setting of `berth serve`, from flags, BERTH_* environment
// variables and an optional config file (flags win over environment, which
// wins over the file). Parsing lives in cli.cpp; this is the plain value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace berth::app {

struct Config {
  std::string listen = "127.0.0.1:5000";   // host:port
  std::filesystem::path data_dir = "./data";
  std::string public_url;                  // "" = http://<listen>
  std::string log_level = "info";
  std::string auth = "none";
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  unsigned io_threads = 0;                 // 0 = one per core
  unsigned blocking_threads = 8;
  std::string sqlite_synchronous = "full"; // full | normal
  bool access_log = true;
  unsigned shutdown_grace_seconds = 10;

  // The registry id the OCI front end serves: "<account>:<region>".
  std::string default_registry_id() const { return account_id + ":" + region; }
};

}  // namespace berth::app
