#pragma once
// HAProxy's PROXY protocol, versions 1 (text) and 2 (binary), as a proxy in TCP mode writes it at
// the start of a connection (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt).
// libmicrohttpd cannot read it, so the sidecar's PROXY listener (proxy_listener.hpp) reads the
// header itself and hands the connection over with the address it names. Pure logic.
#include "net/client_address.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sarang::http {

inline constexpr std::size_t proxy_header_max = 16 + 216; // v2's largest useful; v1 is <= 107

struct ProxyHeader {
    std::size_t length = 0;  // bytes the header takes at the start of the stream
    bool has_source = false; // false: LOCAL (v2) or UNKNOWN (v1): use the peer itself
    IpAddress source;
    std::uint16_t source_port = 0;
};

enum class ProxyParse { need_more, done, invalid };

// Looks at the first bytes of a connection. need_more: a valid prefix so far.
ProxyParse parse_proxy_header(std::string_view bytes, ProxyHeader& header);

} // namespace sarang::http
