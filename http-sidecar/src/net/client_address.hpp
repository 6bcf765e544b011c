#pragma once
// Which address a request comes from. Behind a reverse proxy (nginx, HAProxy) every TCP peer is
// the proxy, so the throttles, the audit log and the access log would see one client; the proxy
// names the real one in X-Forwarded-For or Forwarded (RFC 7239). Those headers are only believed
// when the TCP peer is listed in http.trusted_proxies: from anyone else they are ignored, so a
// client cannot pick the address it is throttled by.
//
// Pure logic (no sockets): parsers for addresses and CIDR lists, and the walk over the header.
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::http {

// An IPv4 address is kept as itself, also when it arrives IPv4-mapped (::ffff:a.b.c.d from a
// dual-stack socket), so that one client has one text and one throttle key.
struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{}; // IPv4: the first 4
    std::string text() const;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"; nullopt for anything else (no ports, no
// brackets, no zone ids).
std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
    IpAddress network;
    int prefix = 0; // 0-32 (IPv4) or 0-128 (IPv6)
    bool contains(const IpAddress& address) const;
};

struct CidrError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Host bits set below the
// prefix ("10.0.0.1/8") are refused: such an entry is usually a typo for a narrower range.
// Throws CidrError saying what is wrong with `text`.
Cidr parse_cidr(std::string_view text);

// Which header a trusted proxy names the client in (http.client_address_header). Only one is
// read: a proxy that sets one passes the other through from the client unchanged, so reading
// both would let the client choose.
enum class ForwardedHeader { x_forwarded_for, forwarded };
ForwardedHeader parse_forwarded_header(std::string_view name); // throws CidrError

class TrustedProxies {
  public:
    TrustedProxies() = default;
    // A comma-separated list of CIDRs (spaces allowed, empty: none). Throws CidrError naming
    // the first bad entry.
    static TrustedProxies parse(std::string_view list);
    bool empty() const { return ranges_.empty(); }
    bool contains(const IpAddress& address) const;

  private:
    std::vector<Cidr> ranges_;
};

// The client's address as text. `peer` is the TCP peer's address text; `header` is every value
// of the configured header joined with ", " in arrival order (nullptr when absent). When the peer
// is a trusted proxy, the header's addresses are walked from the right, skipping trusted proxies;
// the first one that is not trusted is the client. If all are trusted, the left-most is. An entry
// that is not an address (garbage, "unknown", an obfuscated identifier) ends the walk: the hop
// that wrote it is the client as far as anyone can tell.
std::string resolve_client_address(const TrustedProxies& proxies, ForwardedHeader kind,
                                   std::string_view peer, const std::string* header);

// Whether a trusted proxy says the client used HTTPS (X-Forwarded-Proto: https, or proto=https
// in Forwarded). False when the peer is not trusted.
bool forwarded_https(const TrustedProxies& proxies, std::string_view peer,
                     const std::string* x_forwarded_proto, const std::string* forwarded);

} // namespace sarang::http
