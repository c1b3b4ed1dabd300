#include "storage/blob/s3/s3_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "crypto/hasher.hpp"
#include "storage/blob/s3/s3_address.hpp"
#include "storage/blob/s3/s3_signing.hpp"
#include "storage/blob/s3/s3_xml.hpp"
#include "util/time.hpp"

namespace berth::storage::blob::s3 {

namespace {

// curl_global_init is not thread-safe; it must run once before any handle.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string_view upload;  // what remains to send
  S3Response* response;
  std::string* body;        // response->body or the request's sink
  CURL* curl;
  bool too_large = false;
};

std::size_t read_body(char* out, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = std::min(size * count, transfer->upload.size());
  std::copy_n(transfer->upload.data(), n, out);
  transfer->upload.remove_prefix(n);
  return n;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string& body = *transfer->body;
  if (body.size() + n > kMaxResponseBody) {
    transfer->too_large = true;
    return 0;  // aborts the transfer
  }
  if (body.empty()) {
    // One allocation of the announced size rather than a doubling series.
    curl_off_t length = -1;
    curl_easy_getinfo(transfer->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (length > 0 && static_cast<std::uint64_t>(length) <= kMaxResponseBody) {
      body.reserve(static_cast<std::size_t>(length));
    }
  }
  body.append(data, n);
  return n;
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 100 Continue, say): only the last counts.
    transfer->response->headers.clear();
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name;
  for (char c : line.substr(0, colon)) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  transfer->response->headers[name] = std::string(value);
  return n;
}

// Faults after which S3 may or may not have acted on the request.
bool transport_retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool status_retryable(const S3Response& response) {
  if (response.status == 500 || response.status == 502 || response.status == 503 ||
      response.status == 504) {
    return true;
  }
  if (response.status == 400) {
    auto doc = parse_error_document(response.body);
    return doc && doc->code == "RequestTimeout";
  }
  return false;
}

std::string endpoint_text(const S3Config& config) {
  return std::string(config.endpoint.https ? "https://" : "http://") + config.endpoint.host +
         (config.endpoint.port ? ":" + std::to_string(config.endpoint.port) : "");
}

}  // namespace

std::string S3Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

struct S3Client::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {}
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

S3Client::S3Client(S3Config config) : config_(std::move(config)) { init_curl_once(); }

S3Client::~S3Client() = default;

std::unique_ptr<S3Client::Handle> S3Client::take_handle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  return std::make_unique<Handle>();
}

void S3Client::give_back(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(handle));
}

Result<S3Response> S3Client::send_once(Handle& handle, const S3Request& request, bool& sent) {
  sent = false;
  CURL* curl = handle.curl;
  if (curl == nullptr) return fail(ErrorCode::kInternal, "curl_easy_init failed");
  // Reset keeps the handle's connection cache: the next request reuses it.
  curl_easy_reset(curl);

  const S3Target target = address(config_, request.key, request.query);
  const std::string payload_hash = crypto::sha256_hex(request.body);
  auth::HeaderList headers = sign_s3_request(config_, request.method, target, request.headers,
                                             payload_hash, system_now_ms());
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  // No "Expect: 100-continue" round trip, and no Accept header curl invents.
  list = curl_slist_append(list, "Expect:");
  list = curl_slist_append(list, "Accept:");

  S3Response response;
  std::string* body = request.body_sink ? request.body_sink : &response.body;
  body->clear();
  Transfer transfer{request.body, &response, body, curl};
  curl_easy_setopt(curl, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.stall_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!config_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    // Upload mode for both: the body comes from the read callback with an
    // exact Content-Length, and the method string is ours.
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (code != CURLE_OK) {
    // Nothing reached S3 only when no connection was ever made.
    sent = code != CURLE_COULDNT_CONNECT && code != CURLE_COULDNT_RESOLVE_HOST;
    if (transfer.too_large) {
      return fail(ErrorCode::kInternal, "S3 answered more than expected",
                  request.method + " " + request.key);
    }
    return fail(ErrorCode::kUnavailable,
                "S3 endpoint " + endpoint_text(config_) + " did not answer: " +
                    curl_easy_strerror(code),
                transport_retryable(code) ? "retryable" : "");
  }
  sent = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  // An error document is the caller's to read, not the sink's to keep.
  if (!response.ok() && body != &response.body) response.body = std::exchange(*body, {});
  return response;
}

Result<S3Response> S3Client::send(const S3Request& request) {
  std::unique_ptr<Handle> handle = take_handle();
  thread_local std::minstd_rand jitter{std::random_device{}()};
  auto backoff = config_.first_backoff;
  Result<S3Response> result = fail(ErrorCode::kInternal, "no attempt made");
  for (int attempt = 1;; ++attempt) {
    bool sent = false;
    result = send_once(*handle, request, sent);
    bool retry;
    if (!result) {
      retry = result.error().detail == "retryable" && (request.idempotent || !sent);
    } else {
      retry = status_retryable(*result);
      if (retry && !request.idempotent) {
        auto doc = parse_error_document(result->body);
        retry = result->status == 503 && doc && doc->code == "SlowDown";
      }
    }
    if (!retry || attempt >= config_.max_attempts) break;
    const auto pause =
        backoff + std::chrono::milliseconds(jitter() % (backoff.count() / 2 + 1));
    std::this_thread::sleep_for(pause);
    backoff *= 2;
  }
  if (result) {
    give_back(std::move(handle));
  } else {
    // The handle's connection failed; a fresh handle starts clean. Keep
    // only the detail meant for people.
    if (result.error().detail == "retryable") result.error().detail.clear();
  }
  return result;
}

Error from_s3_xml(const S3Response& response, std::string_view context, ErrorCode not_found) {
  auto doc = parse_error_document(response.body);
  const std::string code = doc ? doc->code : "";
  std::string message = std::string(context) + ": S3 answered " + std::to_string(response.status);
  if (doc) message += " " + doc->code + (doc->message.empty() ? "" : " (" + doc->message + ")");
  ErrorCode mapped = ErrorCode::kInternal;
  if (code == "NoSuchUpload") {
    mapped = ErrorCode::kUploadNotFound;
  } else if (code == "NoSuchBucket") {
    mapped = ErrorCode::kUnavailable;
  } else if (response.status == 404) {
    mapped = not_found;
  } else if (response.status == 416) {
    mapped = ErrorCode::kRangeInvalid;
  } else if (response.status == 403 || response.status >= 500 || code == "SlowDown" ||
             code == "RequestTimeout") {
    mapped = ErrorCode::kUnavailable;
  }
  return Error{mapped, std::move(message), code};
}

}  // namespace berth::storage::blob::s3
