#include "util/writable.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace berth {

std::string why_not_writable(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path target = path;
  std::string kind = "file";
  if (std::filesystem::is_directory(path, ec)) {
    kind = "directory";
  } else if (!std::filesystem::exists(path, ec)) {
    // Creating a file needs its directory to be writable.
    target = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    kind = "directory";
  }
  if (::access(target.c_str(), W_OK) == 0) return {};
  const int err = errno;
  const std::string name = kind + " " + target.string();
  switch (err) {
    case EROFS:
      return name + " is on a read-only file system";
    case EACCES:
    case EPERM:
      return name + " is not writable by uid " + std::to_string(::geteuid()) +
             " (permission denied)";
    case ENOENT:
      return name + " does not exist";
    default:
      return name + " is not writable: " + std::strerror(err);
  }
}

}  // namespace berth
