#include "net/client_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstring>

namespace sarang::http {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        std::size_t at = text.find(separator);
        parts.push_back(trim(text.substr(0, at)));
        if (at == std::string_view::npos)
            return parts;
        text.remove_prefix(at + 1);
    }
}

// One hop as a proxy writes it: an address, maybe quoted, an IPv6 one maybe in brackets, maybe
// with a port ("192.0.2.1:4711", "[2001:db8::1]:4711").
std::optional<IpAddress> parse_hop(std::string_view hop) {
    hop = trim(hop);
    if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"')
        hop = hop.substr(1, hop.size() - 2);
    if (!hop.empty() && hop.front() == '[') {
        std::size_t close = hop.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        std::string_view rest = hop.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return std::nullopt;
        std::optional<IpAddress> address = parse_ip(hop.substr(1, close - 1));
        if (!address || !address->v6)
            return std::nullopt;
        return address;
    }
    if (std::count(hop.begin(), hop.end(), ':') == 1) // IPv4 with a port
        hop = hop.substr(0, hop.find(':'));
    return parse_ip(hop);
}

// The `for=` of each element of a Forwarded header, left to right; an element without one is
// an empty hop (which ends the walk).
std::vector<std::string_view> forwarded_for(std::string_view header) {
    std::vector<std::string_view> hops;
    for (std::string_view element : split(header, ',')) {
        std::string_view hop;
        for (std::string_view pair : split(element, ';')) {
            std::size_t equals = pair.find('=');
            if (equals != std::string_view::npos && iequals(trim(pair.substr(0, equals)), "for"))
                hop = trim(pair.substr(equals + 1));
        }
        hops.push_back(hop);
    }
    return hops;
}

} // namespace

std::string IpAddress::text() const {
    char buffer[INET6_ADDRSTRLEN] = "";
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
    return buffer;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    std::string copy(text); // inet_pton wants a terminated string
    IpAddress address;
    if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1)
        return address;
    if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1)
        return std::nullopt;
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(address.bytes.data(), mapped, sizeof mapped) == 0) {
        std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
        std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
        return address;
    }
    address.v6 = true;
    return address;
}

bool Cidr::contains(const IpAddress& address) const {
    if (address.v6 != network.v6)
        return false;
    int whole = prefix / 8, bits = prefix % 8;
    if (std::memcmp(address.bytes.data(), network.bytes.data(), static_cast<std::size_t>(whole)) !=
        0)
        return false;
    if (bits == 0)
        return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return (address.bytes[static_cast<std::size_t>(whole)] & mask) ==
           (network.bytes[static_cast<std::size_t>(whole)] & mask);
}

Cidr parse_cidr(std::string_view text) {
    std::string shown(text.substr(0, 64));
    std::size_t slash = text.find('/');
    std::optional<IpAddress> address = parse_ip(text.substr(0, slash));
    if (!address)
        throw CidrError("\"" + shown + "\" is not an IPv4 or IPv6 address or CIDR range");
    int width = address->v6 ? 128 : 32;
    Cidr cidr{*address, width};
    if (slash != std::string_view::npos) {
        std::string_view digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw CidrError("\"" + shown + "\": the prefix length after / must be a number");
        cidr.prefix = std::stoi(std::string(digits));
        if (cidr.prefix > width)
            throw CidrError("\"" + shown + "\": the prefix length must be at most " +
                            std::to_string(width));
    }
    Cidr network_only{IpAddress{address->v6, {}}, 0};
    for (int bit = 0; bit < cidr.prefix; ++bit) {
        auto byte = static_cast<std::size_t>(bit / 8);
        network_only.network.bytes[byte] |=
            static_cast<std::uint8_t>(address->bytes[byte] & (0x80 >> (bit % 8)));
    }
    if (network_only.network.bytes != address->bytes)
        throw CidrError("\"" + shown + "\": bits are set past the prefix length (did you mean " +
                        network_only.network.text() + "/" + std::to_string(cidr.prefix) + "?)");
    return cidr;
}

ForwardedHeader parse_forwarded_header(std::string_view name) {
    if (iequals(name, "x-forwarded-for"))
        return ForwardedHeader::x_forwarded_for;
    if (iequals(name, "forwarded"))
        return ForwardedHeader::forwarded;
    throw CidrError("must be x-forwarded-for or forwarded");
}

TrustedProxies TrustedProxies::parse(std::string_view list) {
    TrustedProxies proxies;
    if (trim(list).empty())
        return proxies;
    for (std::string_view entry : split(list, ',')) {
        if (entry.empty())
            throw CidrError("an empty entry (two commas in a row, or one at an end)");
        proxies.ranges_.push_back(parse_cidr(entry));
    }
    return proxies;
}

bool TrustedProxies::contains(const IpAddress& address) const {
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [&](const Cidr& range) { return range.contains(address); });
}

std::string resolve_client_address(const TrustedProxies& proxies, ForwardedHeader kind,
                                   std::string_view peer, const std::string* header) {
    std::optional<IpAddress> current = parse_ip(peer);
    if (!current)
        return std::string(peer);
    if (header == nullptr || !proxies.contains(*current))
        return current->text();
    std::vector<std::string_view> hops =
        kind == ForwardedHeader::forwarded ? forwarded_for(*header) : split(*header, ',');
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        std::optional<IpAddress> next = parse_hop(*hop);
        if (!next)
            break; // not an address: the hop that wrote it is as far as the chain can be trusted
        current = next;
        if (!proxies.contains(*current))
            break;
    }
    return current->text();
}

bool forwarded_https(const TrustedProxies& proxies, std::string_view peer,
                     const std::string* x_forwarded_proto, const std::string* forwarded) {
    std::optional<IpAddress> address = parse_ip(peer);
    if (!address || !proxies.contains(*address))
        return false;
    if (x_forwarded_proto != nullptr)
        return iequals(trim(*x_forwarded_proto), "https");
    if (forwarded == nullptr)
        return false;
    // The element the nearest proxy added (the last one) says how the client reached it.
    std::vector<std::string_view> elements = split(*forwarded, ',');
    for (std::string_view pair : split(elements.back(), ';')) {
        std::size_t equals = pair.find('=');
        if (equals != std::string_view::npos && iequals(trim(pair.substr(0, equals)), "proto")) {
            std::string_view value = trim(pair.substr(equals + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return iequals(value, "https");
        }
    }
    return false;
}

} // namespace sarang::http
