// The request and response values exchanged between the HTTP server and the
// protocol front ends. The server knows nothing of OCI or ECR: it parses a
// request head, hands the handler a Request whose body is read on demand
// (streamed, never buffered whole), and writes back whatever Response the
// handler returns — a small in-memory body, a file range sent zero-copy, a
// stream pulled piece by piece, or no body at all.
//
// Thread-safety: a Request and its BodyReader belong to one connection's
// strand; use them only from the handler's coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace berth::http {

namespace beast_http = boost::beast::http;

// Pulls the request body from the connection. Reads fail with
// kLimitExceeded past the configured body limit and kUnavailable when the
// client goes away or times out.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Fills up to out.size() bytes; returns 0 once the body is complete.
  virtual boost::asio::awaitable<Result<std::size_t>> read_some(std::span<char> out) = 0;
  // Reads the rest of the body into memory, failing with kLimitExceeded when
  // it is longer than `limit`. For small bodies only (manifests, JSON).
  virtual boost::asio::awaitable<Result<std::string>> read_all(std::size_t limit) = 0;
  // Content-Length when the client sent one.
  virtual std::optional<std::uint64_t> content_length() const = 0;
  virtual bool done() const = 0;
};

struct Request {
  beast_http::verb method = beast_http::verb::get;
  std::string target;  // as received: path plus query
  std::string path;    // percent-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  beast_http::fields headers;
  std::string request_id;
  std::string remote_address;
  BodyReader* body = nullptr;

  // The first value of a query parameter, if present.
  std::optional<std::string_view> query_param(std::string_view key) const;
  // The header's value or "" when absent.
  std::string_view header(std::string_view name) const;
};

// A body sent from an open file descriptor, zero-copy where possible.
struct FileRange {
  // Keeps the descriptor alive until the send ends (e.g. a BlobReader).
  std::shared_ptr<void> owner;
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// A body pulled piece by piece (a blob from a store without a file
// descriptor); exactly `length` bytes are read and sent.
struct StreamBody {
  // Fills up to out.size() bytes; 0 only at the end. An error ends the
  // response (the connection is closed: the length was promised).
  std::function<boost::asio::awaitable<Result<std::size_t>>(std::span<char>)> read_some;
  std::uint64_t length = 0;
};

struct Response {
  beast_http::status status = beast_http::status::ok;
  beast_http::fields headers;
  std::string body;                   // used when neither `file` nor `stream` is set
  std::optional<FileRange> file;      // when set, sent instead of `body`
  std::optional<StreamBody> stream;   // when set, sent instead of `body`
  // For HEAD: the Content-Length to announce without sending a body.
  std::optional<std::uint64_t> head_content_length;
  // What the access log calls this request, in the protocol's words
  // ("ecr:PutImage", "oci:manifest.put"); "" when no front end claimed it.
  std::string operation;
  // The protocol's name for the failure ("RepositoryNotFoundException",
  // "MANIFEST_UNKNOWN"); "" on success.
  std::string error_name;
  // Who the front end decided was calling (an IAM ARN or access key id);
  // "" when anonymous. For the access log: never a secret.
  std::string principal;
  // The id the protocol gave this request and sent back (ECR's
  // x-amzn-RequestId); "" to log the server's own. The access log carries
  // it, so a client's error report leads to the log line.
  std::string request_id;

  Response() = default;
  explicit Response(beast_http::status s) : status(s) {}
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

}  // namespace berth::http
