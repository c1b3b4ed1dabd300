// fsck_main: the command line of berth_fsck_tool (see fsck.hpp).
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "fsck/fsck.hpp"

namespace berth::fsck {

namespace {

constexpr const char* kUsage =
    "usage: %s [fsck] --data-dir DIR [--repair] [--json] [--stale-after SECONDS]\n"
    "          [--no-verify-content] [--progress auto|tty|plain|none]\n"
    "\n"
    "Checks a berth data directory: blob bytes against their digests, tags,\n"
    "manifests and their references, blob links, uploads. Read-only unless\n"
    "--repair, which deletes corrupt blobs and manifests, dangling tags and\n"
    "links and stale uploads, then checks again.\n"
    "\n"
    "  --data-dir DIR        the directory `berth serve --data-dir` uses\n"
    "  --repair              repair what can be repaired (stop berth first)\n"
    "  --json                print one JSON document instead of text\n"
    "  --stale-after SECS    uploads older than this are stale (default 86400)\n"
    "  --no-verify-content   skip hashing blob bytes (structure only; fast)\n"
    "  --progress MODE       progress on stderr (default auto: live on a terminal)\n"
    "\n"
    "Exit status: 0 no corruption, 1 corruption found, 2 usage or open error.\n";

int usage(const char* program, std::FILE* to, int code) {
  std::fprintf(to, kUsage, program);
  return code;
}

}  // namespace

int fsck_main(int argc, const char* const* argv) {
  const char* program = argc > 0 ? argv[0] : "berth_fsck_tool";
  FsckOptions options;
  int i = 1;
  if (i < argc && std::string_view(argv[i]) == "fsck") ++i;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") return usage(program, stdout, kExitClean);
    if (arg == "--repair") {
      options.repair = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--no-verify-content") {
      options.verify_blob_content = false;
    } else if (arg == "--data-dir") {
      if (!take_value()) return usage(program, stderr, kExitError);
      options.data_dir = std::string(value);
    } else if (arg == "--stale-after") {
      long long secs = -1;
      if (!take_value()) return usage(program, stderr, kExitError);
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
      if (ec != std::errc() || end != value.data() + value.size() || secs < 0) {
        std::fprintf(stderr, "%s: --stale-after needs a number of seconds\n", program);
        return kExitError;
      }
      options.stale_after = std::chrono::seconds(secs);
    } else if (arg == "--progress") {
      if (!take_value()) return usage(program, stderr, kExitError);
      if (value == "auto")
        options.progress = ProgressMode::kAuto;
      else if (value == "tty")
        options.progress = ProgressMode::kTerminal;
      else if (value == "plain")
        options.progress = ProgressMode::kPlain;
      else if (value == "none")
        options.progress = ProgressMode::kNone;
      else
        return usage(program, stderr, kExitError);
    } else {
      std::fprintf(stderr, "%s: unknown argument '%.*s'\n", program, static_cast<int>(arg.size()),
                   arg.data());
      return usage(program, stderr, kExitError);
    }
  }
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "%s: --data-dir is required\n", program);
    return usage(program, stderr, kExitError);
  }
  return run_fsck(options);
}

}  // namespace berth::fsck
