#include "app/public_url.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace berth::app {

namespace {

// The first IPv4 address of an interface that is up and not loopback.
std::string first_external_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::string found;
  for (ifaddrs* it = list; it != nullptr && found.empty(); it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    if ((it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace

bool is_wildcard_host(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

PublicUrl derive_public_url(const Config& config) {
  PublicUrl out;
  if (!config.public_url.empty()) {
    out.url = config.effective_public_url();
    return out;
  }
  const std::string& listen = config.listen;
  const auto colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (!is_wildcard_host(host)) {
    out.url = config.effective_public_url();
    return out;
  }
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon);
  std::string reachable = first_external_ipv4();
  if (reachable.empty()) reachable = "127.0.0.1";
  out.url = (config.tls() ? "https://" : "http://") + reachable + port;
  out.warning = "--listen " + listen +
                " binds every interface but names none clients can use, and --public-url is not "
                "set: repository URIs, upload locations and download URLs will use " +
                out.url + "; set --public-url to the address your clients reach";
  return out;
}

}  // namespace berth::app
