#pragma once
// Where the sidecar listens and where its plain-HTTP redirect sends browsers. Pure functions,
// kept apart from libmicrohttpd so they can be unit-tested.
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <string_view>

namespace sarang::http {

struct ListenAddress {
    sockaddr_storage address{};
    bool ipv6 = false;
};

// http.bind (an IPv4 or IPv6 literal) and a port; throws std::runtime_error for anything else.
ListenAddress parse_listen_address(const std::string& bind, std::uint16_t port);

// 127.0.0.0/8 or ::1: plain HTTP is served only there (docs/tls.md).
bool is_loopback(const std::string& bind);

// The https:// URL a plain request for `target` (path and query as sent) is redirected to:
// http.public_url when it is an https:// URL, else the request's Host with the HTTPS port.
// Empty when neither gives a host we can trust to be a host name (the caller answers 400).
std::string redirect_location(std::string_view public_url, std::string_view host_header,
                              std::uint16_t https_port, std::string_view target);

} // namespace sarang::http
