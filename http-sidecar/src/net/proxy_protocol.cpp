#include "net/proxy_protocol.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace sarang::http {
namespace {

constexpr std::string_view v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::size_t v1_max = 107;

bool parse_port(std::string_view text, std::uint16_t& port) {
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text.front() == '0') ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    unsigned long value = std::stoul(std::string(text));
    if (value > 65535)
        return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

ProxyParse parse_v1(std::string_view bytes, ProxyHeader& header) {
    std::size_t end = bytes.find("\r\n");
    if (end == std::string_view::npos)
        return bytes.size() >= v1_max ? ProxyParse::invalid : ProxyParse::need_more;
    if (end + 2 > v1_max)
        return ProxyParse::invalid;
    std::string_view line = bytes.substr(0, end);
    std::vector<std::string_view> fields;
    while (!line.empty()) {
        std::size_t space = line.find(' ');
        fields.push_back(line.substr(0, space));
        if (space == std::string_view::npos)
            break;
        line.remove_prefix(space + 1);
    }
    header = ProxyHeader{};
    header.length = end + 2;
    if (fields.size() >= 2 && fields[0] == "PROXY" && fields[1] == "UNKNOWN")
        return ProxyParse::done; // the rest of the line is to be ignored
    if (fields.size() != 6 || fields[0] != "PROXY" || (fields[1] != "TCP4" && fields[1] != "TCP6"))
        return ProxyParse::invalid;
    std::optional<IpAddress> source = parse_ip(fields[2]);
    std::optional<IpAddress> destination = parse_ip(fields[3]);
    std::uint16_t destination_port = 0;
    bool v6 = fields[1] == "TCP6";
    // An IPv4-mapped source parses as IPv4, so the family is checked on the text.
    bool source_v6 = fields[2].find(':') != std::string_view::npos;
    bool destination_v6 = fields[3].find(':') != std::string_view::npos;
    if (!source || !destination || source_v6 != v6 || destination_v6 != v6 ||
        !parse_port(fields[4], header.source_port) || !parse_port(fields[5], destination_port))
        return ProxyParse::invalid;
    header.has_source = true;
    header.source = *source;
    return ProxyParse::done;
}

ProxyParse parse_v2(std::string_view bytes, ProxyHeader& header) {
    if (bytes.size() < 16)
        return ProxyParse::need_more;
    auto byte = [&](std::size_t at) { return static_cast<std::uint8_t>(bytes[at]); };
    std::uint8_t version_command = byte(12), family = byte(13);
    std::size_t length = static_cast<std::size_t>(byte(14)) << 8 | byte(15);
    if ((version_command & 0xf0) != 0x20 || 16 + length > proxy_header_max)
        return ProxyParse::invalid;
    std::uint8_t command = version_command & 0x0f;
    if (command > 1)
        return ProxyParse::invalid;
    if (bytes.size() < 16 + length)
        return ProxyParse::need_more;
    header = ProxyHeader{};
    header.length = 16 + length;
    if (command == 0) // LOCAL: the proxy's own connection (a health check)
        return ProxyParse::done;
    std::string_view addresses = bytes.substr(16, length);
    auto port_at = [&](std::size_t at) {
        return static_cast<std::uint16_t>(static_cast<std::uint8_t>(addresses[at]) << 8 |
                                          static_cast<std::uint8_t>(addresses[at + 1]));
    };
    switch (family) {
    case 0x11: // TCP over IPv4
    case 0x12: // UDP over IPv4
        if (length < 12)
            return ProxyParse::invalid;
        std::memcpy(header.source.bytes.data(), addresses.data(), 4);
        header.source.v6 = false;
        header.source_port = port_at(8);
        break;
    case 0x21: // TCP over IPv6
    case 0x22:
        if (length < 36)
            return ProxyParse::invalid;
        {
            std::memcpy(header.source.bytes.data(), addresses.data(), 16);
            header.source.v6 = true;
            // An IPv4-mapped source is IPv4, as everywhere else.
            if (std::optional<IpAddress> normal = parse_ip(header.source.text()))
                header.source = *normal;
            header.source_port = port_at(32);
        }
        break;
    case 0x00: // UNSPEC: as LOCAL
        return ProxyParse::done;
    default: // AF_UNIX and unknown families carry no IP address to use
        return ProxyParse::done;
    }
    header.has_source = true;
    return ProxyParse::done;
}

} // namespace

ProxyParse parse_proxy_header(std::string_view bytes, ProxyHeader& header) {
    std::size_t compare = std::min(bytes.size(), v2_signature.size());
    if (bytes.substr(0, compare) == v2_signature.substr(0, compare))
        return bytes.size() < v2_signature.size() ? ProxyParse::need_more : parse_v2(bytes, header);
    constexpr std::string_view v1_start = "PROXY ";
    compare = std::min(bytes.size(), v1_start.size());
    if (bytes.substr(0, compare) != v1_start.substr(0, compare))
        return ProxyParse::invalid;
    return bytes.size() < v1_start.size() ? ProxyParse::need_more : parse_v1(bytes, header);
}

} // namespace sarang::http
