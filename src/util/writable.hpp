// Why a path cannot be written, in words an operator can act on: the first
// startup check of every store that writes to a local directory, so that
// "unable to open database file" never reaches a user unexplained.
//
// Thread-safety: a free function; it only asks the kernel (access(2)).
#pragma once

#include <filesystem>
#include <string>

namespace berth {

// "" when `path` (a file, or when absent the directory that would hold
// it) can be written by this process; otherwise a sentence naming the
// path and the reason, e.g. "directory /srv/berth is on a read-only file
// system" or "directory /srv/berth is not writable by uid 1000
// (permission denied)".
std::string why_not_writable(const std::filesystem::path& path);

}  // namespace berth
