#include "listen_address.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <stdexcept>

namespace sarang::http {

ListenAddress parse_listen_address(const std::string& bind, std::uint16_t port) {
    ListenAddress listen;
    if (bind.find(':') != std::string::npos) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&listen.address);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        if (inet_pton(AF_INET6, bind.c_str(), &v6->sin6_addr) != 1)
            throw std::runtime_error("http.bind is not an IP address: " + bind);
        listen.ipv6 = true;
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&listen.address);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        if (inet_pton(AF_INET, bind.c_str(), &v4->sin_addr) != 1)
            throw std::runtime_error("http.bind is not an IP address: " + bind);
    }
    return listen;
}

bool is_loopback(const std::string& bind) {
    in_addr v4{};
    if (inet_pton(AF_INET, bind.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    return inet_pton(AF_INET6, bind.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

namespace {

// A host name or an IPv4 literal, or a bracketed IPv6 literal, then an optional :port (dropped).
std::string host_without_port(std::string_view host) {
    if (host.empty() || host.size() > 255)
        return "";
    std::string_view name = host;
    if (host.front() == '[') {
        std::size_t close = host.find(']');
        if (close == std::string_view::npos)
            return "";
        name = host.substr(0, close + 1);
        for (char c : name.substr(1, name.size() - 2)) {
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
                return "";
        }
        std::string_view rest = host.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return "";
        host = rest;
    } else {
        std::size_t colon = host.find(':');
        name = host.substr(0, colon);
        for (char c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
                return "";
        }
        host = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
    }
    if (!host.empty()) { // ":digits"
        if (host.size() < 2 || host.size() > 6)
            return "";
        for (char c : host.substr(1)) {
            if (!std::isdigit(static_cast<unsigned char>(c)))
                return "";
        }
    }
    return name.empty() ? "" : std::string(name);
}

} // namespace

std::string redirect_location(std::string_view public_url, std::string_view host_header,
                              std::uint16_t https_port, std::string_view target) {
    if (target.empty() || target.front() != '/')
        target = "/";
    for (char c : target) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return "";
    }
    if (public_url.starts_with("https://")) {
        while (public_url.ends_with('/'))
            public_url.remove_suffix(1);
        return std::string(public_url) + std::string(target);
    }
    std::string host = host_without_port(host_header);
    if (host.empty())
        return "";
    std::string base = "https://" + host;
    if (https_port != 443)
        base += ":" + std::to_string(https_port);
    return base + std::string(target);
}

} // namespace sarang::http
