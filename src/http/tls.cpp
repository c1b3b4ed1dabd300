#include "http/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <string_view>

namespace berth::http {
namespace {

namespace ssl = boost::asio::ssl;

constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};

// OpenSSL's queued reason, e.g. "error:0480006C:PEM routines::no start line".
std::string openssl_reason(const boost::system::error_code& ec) {
  std::string reason = ec ? ec.message() : std::string();
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!reason.empty()) reason += ": ";
    reason += text;
  }
  ERR_clear_error();
  return reason;
}

// ALPN: accept http/1.1 when offered; otherwise carry on without ALPN (the
// client then speaks HTTP/1.1 by default). Never h2.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  std::string_view offered(reinterpret_cast<const char*>(in), in_len);
  while (!offered.empty()) {
    const std::size_t len = static_cast<unsigned char>(offered.front());
    if (len + 1 > offered.size()) break;
    const std::string_view protocol = offered.substr(1, len);
    if (protocol == std::string_view(reinterpret_cast<const char*>(kHttp11), sizeof kHttp11)) {
      *out = reinterpret_cast<const unsigned char*>(protocol.data());
      *out_len = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    offered.remove_prefix(len + 1);
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_tls_context(const TlsOptions& options) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return fail(ErrorCode::kInternal, "cannot require TLS 1.2", openssl_reason({}));
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
  boost::system::error_code ec;
  // An encrypted key gets an empty passphrase (and fails) instead of a prompt.
  context->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
  if (context->use_certificate_chain_file(options.cert_file, ec); ec) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot load the TLS certificate chain from " + options.cert_file,
                openssl_reason(ec));
  }
  if (context->use_private_key_file(options.key_file, ssl::context::pem, ec); ec) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot load the TLS private key from " + options.key_file, openssl_reason(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(ErrorCode::kInvalidArgument,
                "the TLS private key " + options.key_file + " does not match the certificate " +
                    options.cert_file,
                openssl_reason({}));
  }
  return context;
}

}  // namespace berth::http
