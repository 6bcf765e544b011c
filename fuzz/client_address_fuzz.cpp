// http.trusted_proxies, the forwarded-address walk (http-sidecar/src/net/client_address.hpp) and
// the PROXY protocol header (net/proxy_protocol.hpp).
// The input is "<trusted list>\n<peer>\n<header>". A bad list must be a CidrError (a clear error
// at start), never a crash; the resolved address is always an address the parser accepts (or the
// peer's text when the peer itself is not one), and from an untrusted peer it is the peer.
#include "fuzz_support.hpp"
#include "net/client_address.hpp"
#include "net/proxy_protocol.hpp"

using namespace sarang::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The same bytes as the start of a PROXY protocol connection: a header is never longer
    // than what was read, and a source it names is an address.
    ProxyHeader proxy;
    if (parse_proxy_header(text, proxy) == ProxyParse::done) {
        FUZZ_CHECK(proxy.length <= size && proxy.length <= proxy_header_max);
        if (proxy.has_source)
            FUZZ_CHECK(parse_ip(proxy.source.text()).has_value());
    }
    std::size_t first = text.find('\n');
    std::string_view list = text.substr(0, first);
    std::string_view rest = first == std::string_view::npos ? "" : text.substr(first + 1);
    std::size_t second = rest.find('\n');
    std::string peer(rest.substr(0, second));
    std::string header(second == std::string_view::npos ? "" : rest.substr(second + 1));
    TrustedProxies proxies;
    try {
        proxies = TrustedProxies::parse(list);
    } catch (const CidrError&) {
        return 0;
    }
    for (ForwardedHeader kind : {ForwardedHeader::x_forwarded_for, ForwardedHeader::forwarded}) {
        std::string client = resolve_client_address(proxies, kind, peer, &header);
        std::optional<IpAddress> peer_address = parse_ip(peer);
        if (!peer_address) {
            FUZZ_CHECK(client == peer);
            continue;
        }
        std::optional<IpAddress> parsed = parse_ip(client);
        FUZZ_CHECK(parsed.has_value());
        FUZZ_CHECK(parsed->text() == client);
        if (!proxies.contains(*peer_address))
            FUZZ_CHECK(client == peer_address->text());
    }
    std::string proto(header);
    forwarded_https(proxies, peer, &proto, &header);
    return 0;
}
