// TLS for the listener: builds the OpenSSL server context from a PEM
// certificate chain and private key. TLS 1.2 is the oldest version offered,
// client-initiated renegotiation is refused, ALPN settles on http/1.1 (berth
// speaks HTTP/1.1 only), and a passphrase-protected key fails at once rather
// than prompting on a terminal.
//
// Thread-safety: make_tls_context is reentrant. The returned context is
// read-only afterwards and may back many connections on many threads.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "http/server.hpp"
#include "util/result.hpp"

namespace berth::http {

// kInvalidArgument (message names the file, detail holds OpenSSL's reason)
// when the certificate or key cannot be loaded, or the key does not belong to
// the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const TlsOptions& options);

}  // namespace berth::http
