// Fuzz target: SigV4 on the server side (auth/sigv4_parse.hpp,
// auth/sigv4_canonical.hpp, auth/sigv4.hpp): Authorization header and
// presigned-query parsing, the canonicalisation steps, and verify() end to
// end. Every ECR call and every presigned blob URL goes through these
// before any credential check, so they see whatever an attacker sends.
//
// Input format, an HTTP request in miniature:
//   METHOD SP raw-target            e.g. "POST /" or "GET /p?X-Amz-Date=..."
//   Name: value                     zero or more header lines
//   (empty line)
//   body                            hashed as the payload
// Seeds in fuzz/corpus/sigv4/ are the botocore-signed requests of
// src/auth/testdata/botocore_vectors.json in this form, so mutations start
// from requests whose signatures verify.
//
// Checked beyond "no sanitizer report":
//  - what the parsers accept has the promised shape (64 lowercase hex
//    signature; sorted, unique, lowercase SignedHeaders; expiry in range;
//    dates that print back as parsed);
//  - canonical_uri / canonical_query emit only unreserved bytes and
//    escapes, canonical_query is sorted and idempotent, canonical_headers
//    has one line per signed header;
//  - verify() never puts the secret or the signing key in an error;
//  - sign then verify: for a well-formed request (token method and header
//    names, printable values, no auth material of its own), what
//    sign_request() signs, verify() accepts.
#include <algorithm>
#include <string>
#include <vector>

#include "auth/credentials.hpp"
#include "auth/sigv4.hpp"
#include "auth/sigv4_canonical.hpp"
#include "auth/sigv4_parse.hpp"
#include "auth/sigv4_signer.hpp"
#include "crypto/hasher.hpp"
#include "fuzz_support.hpp"
#include "util/hex.hpp"

namespace {

namespace auth = berth::auth;
using berth::fuzz::is_lower_hex;

// The botocore vectors' keys and clock (src/auth/testdata).
constexpr std::string_view kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kSessionKeyId = "ASIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSessionSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
constexpr std::string_view kSessionToken = "FwoGZXIvYXdzEBYaDEXAMPLETOKEN+/=session//token";
constexpr std::string_view kAccount = "123456789012";
constexpr std::int64_t kNowMs = 1735732800000;  // 20250101T120000Z

const auth::CredentialStore &store() {
  static const auth::CredentialStore s = [] {
    auth::CredentialStore st;
    auto a = st.add({std::string(kKeyId), std::string(kSecret), std::string(kAccount), {}, {}});
    auto b = st.add({std::string(kSessionKeyId),
                     std::string(kSessionSecret),
                     std::string(kAccount),
                     std::string(kSessionToken),
                     {}});
    FUZZ_CHECK(a && b, "credential store setup");
    return st;
  }();
  return s;
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}
bool is_hex(char c, bool upper_only) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (!upper_only && c >= 'a' && c <= 'f');
}
// Only unreserved bytes, bytes of `extra`, and %XX escapes.
bool is_encoded(std::string_view s, std::string_view extra, bool upper_hex_only) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (is_unreserved(c) || extra.find(c) != std::string_view::npos) continue;
    if (c == '%' && i + 2 < s.size() && is_hex(s[i + 1], upper_hex_only) &&
        is_hex(s[i + 2], upper_hex_only)) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

void check_auth_shape(const auth::AuthorizationHeader &a) {
  FUZZ_CHECK(a.signature.size() == 64 && is_lower_hex(a.signature), "signature shape");
  FUZZ_CHECK(a.date.size() == 8, "scope date shape");
  FUZZ_CHECK(!a.access_key_id.empty() && !a.region.empty() && !a.service.empty(), "scope");
  FUZZ_CHECK(!a.signed_headers.empty(), "no signed headers");
  for (std::size_t i = 0; i < a.signed_headers.size(); ++i) {
    const std::string &n = a.signed_headers[i];
    FUZZ_CHECK(!n.empty() && auth::ascii_lower(n) == n, "signed header not lowercase");
    if (i > 0) FUZZ_CHECK(a.signed_headers[i - 1] < n, "signed headers not sorted and unique");
  }
}

void check_dates(std::string_view value) {
  if (auto ms = auth::parse_amz_date(value)) {
    FUZZ_CHECK(auth::format_amz_date(*ms) == value, "amz date does not print back");
  }
  (void)auth::parse_http_date(value);
}

void check_canonical(std::string_view raw_path, std::string_view raw_query,
                     const auth::HeaderList &headers,
                     const std::vector<std::string> &signed_headers) {
  std::string uri = auth::canonical_uri(raw_path, auth::PathStyle::kNormalized);
  if (raw_path.starts_with('/')) {  // origin-form, as every request on the wire
    FUZZ_CHECK(uri.front() == '/', "canonical URI does not start with '/'");
  }
  FUZZ_CHECK(is_encoded(uri, "/", true), "canonical URI has an unencoded byte");
  std::string s3 = auth::canonical_uri(raw_path, auth::PathStyle::kS3);
  FUZZ_CHECK(is_encoded(s3, "/", false), "S3 canonical URI has an unencoded byte");
  FUZZ_CHECK(auth::canonical_uri(s3, auth::PathStyle::kS3) == s3, "S3 encoding not idempotent");

  for (bool drop : {false, true}) {
    std::string q = auth::canonical_query(raw_query, drop);
    FUZZ_CHECK(is_encoded(q, "=&", true), "canonical query has an unencoded byte");
    FUZZ_CHECK(auth::canonical_query(q, drop) == q, "canonical query not idempotent");
    // Sorted by key then value: compare "k=v" pieces as pairs.
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    std::string_view rest = q;
    while (!rest.empty()) {
      std::string_view piece = rest.substr(0, rest.find('&'));
      rest = piece.size() == rest.size() ? std::string_view{} : rest.substr(piece.size() + 1);
      auto eq = piece.find('=');
      FUZZ_CHECK(eq != std::string_view::npos, "canonical query item without '='");
      pairs.emplace_back(piece.substr(0, eq), piece.substr(eq + 1));
    }
    FUZZ_CHECK(std::is_sorted(pairs.begin(), pairs.end()), "canonical query not sorted");
  }

  std::string block = auth::canonical_headers(headers, signed_headers);
  FUZZ_CHECK(static_cast<std::size_t>(std::count(block.begin(), block.end(), '\n')) ==
                 signed_headers.size(),
             "canonical headers: not one line per signed header");
}

void check_no_secret(const berth::Error &e) {
  for (std::string_view secret : {kSecret, kSessionSecret}) {
    FUZZ_CHECK(e.message.find(secret) == std::string::npos, "secret in an error message");
    FUZZ_CHECK(e.detail.find(secret) == std::string::npos, "secret in an error detail");
  }
  std::string key = berth::to_hex(auth::signing_key(kSecret, "20250101", "us-east-1", "ecr"));
  FUZZ_CHECK(e.message.find(key) == std::string::npos, "signing key in an error message");
}

bool is_token(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}
bool is_printable(std::string_view s) {
  for (char c : s) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

// Sign with the known key, then verify: a well-formed request our own signer
// produced must pass our own verifier.
void check_sign_then_verify(auth::SigV4Request request, bool s3) {
  if (!is_token(request.method) || !is_printable(request.raw_path) ||
      !is_printable(request.raw_query) || auth::has_presigned_params(request.raw_query)) {
    return;
  }
  std::vector<std::string> names;
  for (const auto &[name, value] : request.headers) {
    std::string lower = auth::ascii_lower(name);
    if (!is_token(name) || !is_printable(value) || lower == "authorization" || lower == "date" ||
        lower.starts_with("x-amz-")) {
      return;
    }
    names.push_back(lower);
  }
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) return;  // repeats
  if (!std::binary_search(names.begin(), names.end(), "host")) return;

  auth::Credential credential{
      std::string(kKeyId), std::string(kSecret), std::string(kAccount), {}, {}};
  const char *service = s3 ? "s3" : "ecr";
  std::string authorization =
      auth::sign_request(request, credential, {"us-east-1", service, kNowMs});
  request.headers.emplace_back("Authorization", authorization);
  auth::VerifyOptions options;
  options.services = {service};
  options.region = "us-east-1";
  options.now_ms = kNowMs;
  auto verified = auth::verify(request, store(), options);
  if (!verified) {
    std::fprintf(stderr, "verify refused a request sign_request signed: %s [%s]\n",
                 verified.error().message.c_str(), verified.error().detail.c_str());
  }
  FUZZ_CHECK(verified.has_value(), "sign_request output refused by verify");
  FUZZ_CHECK(verified->access_key_id == kKeyId && verified->account_id == kAccount &&
                 !verified->development_mode,
             "verified identity");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text = berth::fuzz::as_text(data, size);
  auto [request_line, rest] = berth::fuzz::split_first_line(text);

  auth::SigV4Request request;
  std::string_view target = "/";
  if (auto sp = request_line.find(' '); sp != std::string_view::npos) {
    request.method = std::string(request_line.substr(0, sp));
    target = request_line.substr(sp + 1);
  } else {
    request.method = std::string(request_line);
  }
  auto q = target.find('?');
  request.raw_path = std::string(target.substr(0, q));
  request.raw_query =
      q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));

  std::string_view body;
  while (!rest.empty()) {
    auto [line, after] = berth::fuzz::split_first_line(rest);
    rest = after;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      body = rest;
      break;
    }
    auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    request.headers.emplace_back(std::string(name), std::string(value));
  }
  request.payload_sha256_hex = berth::crypto::sha256_hex(body);

  // The parsers, on whatever the request carries.
  std::vector<std::string> signed_headers;
  for (const auto &[name, value] : request.headers) {
    std::string lower = auth::ascii_lower(name);
    if (lower == "authorization") {
      if (auto a = auth::parse_authorization(value)) {
        check_auth_shape(*a);
        signed_headers = a->signed_headers;
      } else {
        check_no_secret(a.error());
      }
    } else if (lower == "x-amz-date" || lower == "date") {
      check_dates(value);
    }
  }
  bool presigned = auth::has_presigned_params(request.raw_query);
  if (auto p = auth::parse_presigned_query(request.raw_query)) {
    FUZZ_CHECK(presigned, "presigned parameters parsed but not detected");
    check_auth_shape(p->auth);
    FUZZ_CHECK(p->expires_seconds >= 1 && p->expires_seconds <= auth::kMaxPresignExpiresSeconds,
               "expiry out of range");
    FUZZ_CHECK(auth::parse_amz_date(p->amz_date).has_value(), "presigned date");
  }
  if (signed_headers.empty()) {
    for (const auto &[name, value] : request.headers) {
      signed_headers.push_back(auth::ascii_lower(name));
    }
    std::sort(signed_headers.begin(), signed_headers.end());
    signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                         signed_headers.end());
  }
  check_canonical(request.raw_path, request.raw_query, request.headers, signed_headers);

  // The whole verifier, as the ECR front end calls it.
  auth::VerifyOptions options;
  options.services = {"ecr", "s3"};
  options.now_ms = kNowMs;
  auto verified = auth::verify(request, store(), options);
  if (!verified) {
    check_no_secret(verified.error());
  } else {
    FUZZ_CHECK(!verified->development_mode, "development mode without accept_any_key");
    FUZZ_CHECK(verified->access_key_id == kKeyId || verified->access_key_id == kSessionKeyId,
               "verified an unknown key");
  }

  check_sign_then_verify(request, /*s3=*/false);
  check_sign_then_verify(request, /*s3=*/true);
  return 0;
}
