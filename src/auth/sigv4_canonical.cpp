#include "auth/sigv4_canonical.hpp"

#include <algorithm>

#include "crypto/hasher.hpp"
#include "util/hex.hpp"

namespace berth::auth {

namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void append_escape(std::string& out, unsigned char c) {
  out.push_back('%');
  out.push_back(kHexUpper[c >> 4]);
  out.push_back(kHexUpper[c & 0x0f]);
}

// RFC 3986 section 5.2.4 "Remove Dot Segments", plus the SigV4 rule that
// empty segments (repeated slashes) are dropped. A leading slash is kept; a
// trailing slash is kept when at least one segment survives.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(pos, slash - pos);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    pos = slash + 1;
  }
  std::string out;
  if (!path.empty() && path.front() == '/') out.push_back('/');
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(kept[i]);
  }
  if (!kept.empty() && path.back() == '/') out.push_back('/');
  return out;
}

// S3 path: keep valid escapes and unreserved bytes and '/', encode the rest.
std::string encode_s3_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    auto c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && hex_value(path[i + 1]) >= 0 &&
        hex_value(path[i + 2]) >= 0) {
      out.append(path.substr(i, 3));
      i += 2;
    } else if (is_unreserved(c) || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      append_escape(out, c);
    }
  }
  return out;
}

// Trimall from the AWS document: trim the ends, collapse inner runs.
void append_trimmed(std::string& out, std::string_view value) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

}  // namespace

std::string uri_encode(std::string_view bytes, bool keep_slash) {
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      append_escape(out, c);
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Step 1 of reference_sigv-create-signed-request.html, CanonicalURI:
// "Normalize URI paths according to RFC 3986 ... each path segment must be
// URI-encoded twice (except for Amazon S3 which only gets URI-encoded once)".
std::string canonical_uri(std::string_view raw_path, PathStyle style) {
  if (raw_path.empty()) return "/";
  if (style == PathStyle::kS3) return encode_s3_path(raw_path);
  std::string normalized = normalize_path(raw_path);
  if (normalized.empty()) return "/";
  return uri_encode(normalized, /*keep_slash=*/true);
}

// Step 1, CanonicalQueryString: "URI-encode each parameter name and value
// ... sort the parameters by name, then by value"; for query-string
// authentication (sigv4-query-string-auth.html) every parameter except
// X-Amz-Signature is included.
std::string canonical_query(std::string_view raw_query, bool drop_signature) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view piece = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (piece.empty()) continue;
    std::size_t eq = piece.find('=');
    std::string key = percent_decode(piece.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(piece.substr(eq + 1));
    if (drop_signature && key == "X-Amz-Signature") continue;
    pairs.emplace_back(uri_encode(key, false), uri_encode(value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(key);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

// Step 1, CanonicalHeaders: "Lowercase(<HeaderName>) + ':' +
// Trim(<value>) + '\n'", multiple values of one header joined with ','.
std::string canonical_headers(const HeaderList& headers,
                              const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const auto& name : signed_headers) {
    out.append(name);
    out.push_back(':');
    bool first = true;
    for (const auto& [header_name, value] : headers) {
      if (ascii_lower(header_name) != name) continue;
      if (!first) out.push_back(',');
      first = false;
      append_trimmed(out, value);
    }
    out.push_back('\n');
  }
  return out;
}

// Step 1, SignedHeaders: "an alphabetically sorted, semicolon-separated
// list of lowercase request header names".
std::string signed_headers_string(const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const auto& name : signed_headers) {
    if (!out.empty()) out.push_back(';');
    out.append(name);
  }
  return out;
}

// Step 1: CanonicalRequest = Method \n URI \n Query \n Headers \n Signed \n Hash.
std::string canonical_request(std::string_view method, std::string_view uri, std::string_view query,
                              std::string_view headers_block, std::string_view signed_headers,
                              std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + uri.size() + query.size() + headers_block.size() +
              signed_headers.size() + payload_hash.size() + 5);
  out.append(method).push_back('\n');
  out.append(uri).push_back('\n');
  out.append(query).push_back('\n');
  out.append(headers_block).push_back('\n');
  out.append(signed_headers).push_back('\n');
  out.append(payload_hash);
  return out;
}

// Step 3, CredentialScope.
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
  std::string out;
  out.append(date).push_back('/');
  out.append(region).push_back('/');
  out.append(service).push_back('/');
  out.append(kScopeTerminator);
  return out;
}

// Step 2 (HashedCanonicalRequest = Lowercase(HexEncode(Hash(request)))) and
// Step 3 (StringToSign = Algorithm \n RequestDateTime \n Scope \n Hashed).
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out.push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(crypto::sha256_hex(canonical_request));
  return out;
}

// Step 4, "Derive a signing key for SigV4".
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret.append(secret);
  std::string k_date = crypto::hmac_sha256(k_secret, date);
  std::string k_region = crypto::hmac_sha256(k_date, region);
  std::string k_service = crypto::hmac_sha256(k_region, service);
  return crypto::hmac_sha256(k_service, kScopeTerminator);
}

// Step 4, "Calculate the signature": hex(HMAC-SHA256(kSigning, sts)).
std::string signature(std::string_view key, std::string_view string_to_sign) {
  return to_hex(crypto::hmac_sha256(key, string_to_sign));
}

}  // namespace berth::auth
