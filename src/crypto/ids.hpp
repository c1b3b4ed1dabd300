// Unpredictable identifiers: RFC 4122 version-4 UUIDs from the OpenSSL
// CSPRNG. Used where guessing an id must not grant anything, such as
// upload session ids that appear in Location URLs.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace berth::crypto {

// "xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx", lowercase, V in [89ab]; 122
// random bits.
std::string new_uuid();

// True for the canonical textual form: 8-4-4-4-12 lowercase hex digits.
// Any version and variant is accepted; uppercase is not, so one id has one
// spelling (ids are used as storage keys).
bool is_uuid(std::string_view text);

}  // namespace berth::crypto
