// The URL clients are told to reach berth at (repository URIs, upload
// Locations, download URLs, the /v2/ auth realm) when --public-url is not
// given. A wildcard listen address (0.0.0.0, ::, empty host) is no address a
// client can use, so it is replaced by this machine's first non-loopback
// address (127.0.0.1 when it has none) and the caller warns.
//
// Thread-safety: reads the interface list; safe to call from any thread.
#pragma once

#include <string>

#include "app/config.hpp"

namespace berth::app {

struct PublicUrl {
  std::string url;      // never with a trailing '/'
  std::string warning;  // "" unless the listen address had to be replaced
};

PublicUrl derive_public_url(const Config& config);

// True for a host part of --listen that binds every interface.
bool is_wildcard_host(std::string_view host);

}  // namespace berth::app
