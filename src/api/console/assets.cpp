#include "api/console/assets.hpp"

namespace berth::api::console {

const Asset* find_asset(std::string_view name) {
  // A handful of files: a linear scan beats building an index.
  for (const Asset& asset : embedded_assets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace berth::api::console
