// Content negotiation for manifest GET/HEAD. berth never converts
// manifests: it serves the stored bytes with the stored media type, or
// refuses when the client's Accept header rules that type out.
//
// The rule (what CNCF Distribution effectively does): when the Accept
// header(s) list at least one manifest or index media type, the stored type
// must be among them, unless a wildcard ("*/*" or "application/*") is also
// listed. An Accept listing no manifest type (absent, "application/json",
// ...) accepts whatever is stored. Media-type parameters (";q=0.5") are
// ignored; comparison is case-insensitive.
//
// Pure. Thread-safety: free functions over values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::api::oci {

// The media ranges of one or more Accept header values (each
// comma-separated), lowercased, parameters stripped, empty items dropped.
std::vector<std::string> parse_accept(const std::vector<std::string_view>& header_values);

// True when a manifest of `stored_media_type` may be served.
bool accepts_manifest(const std::vector<std::string>& accepted,
                      std::string_view stored_media_type);

}  // namespace berth::api::oci
