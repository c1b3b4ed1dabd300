// http::offload is berth::offload (util/offload.hpp): the front ends call it
// by this name.
#pragma once

#include "util/offload.hpp"

namespace berth::http {
using berth::offload;
}  // namespace berth::http
