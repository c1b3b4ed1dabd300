// The console's static files (HTML, CSS, JavaScript), embedded in the binary
// at build time by embed_assets.cmake from src/api/console/assets/, so a
// berth binary serves its console with no files on disk and nothing fetched
// from elsewhere.
//
// Thread-safety: immutable data; free functions.
#pragma once

#include <span>
#include <string_view>

namespace berth::api::console {

struct Asset {
  std::string_view name;          // path under assets/, e.g. "app.js"
  std::string_view content_type;  // from the extension, with charset for text
  std::string_view etag;          // quoted strong ETag from the SHA-256 of body
  std::string_view body;
};

// Every embedded asset, in the order CMake listed them.
std::span<const Asset> embedded_assets();

// The asset named `name`, or nullptr.
const Asset* find_asset(std::string_view name);

}  // namespace berth::api::console
