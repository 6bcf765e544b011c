#include "net/proxy_listener.hpp"

#include "listen_address.hpp"
#include "net/proxy_protocol.hpp"
#include "sarang/log.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace sarang::http {
namespace {

constexpr auto header_timeout = std::chrono::seconds(2);

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            close(fd);
    }
    int release() {
        int kept = fd;
        fd = -1;
        return kept;
    }
};

std::optional<IpAddress> address_of(const sockaddr_storage& peer) {
    char text[INET6_ADDRSTRLEN] = "";
    if (peer.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, text, sizeof text);
    else if (peer.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, text,
                  sizeof text);
    return parse_ip(text);
}

// The header at the start of `fd`, consumed; nothing after it is read.
std::optional<ProxyHeader> read_header(int fd) {
    auto deadline = std::chrono::steady_clock::now() + header_timeout;
    char buffer[proxy_header_max];
    ssize_t seen = 0;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0)
            return std::nullopt;
        pollfd wait{fd, POLLIN, 0};
        if (poll(&wait, 1, static_cast<int>(left)) <= 0)
            continue; // timeout (checked above) or EINTR
        // Peeked, so that the bytes after the header stay for libmicrohttpd.
        ssize_t got = recv(fd, buffer, sizeof buffer, MSG_PEEK | MSG_DONTWAIT);
        if (got <= 0)
            return std::nullopt; // closed, or an error
        ProxyHeader header;
        switch (parse_proxy_header({buffer, static_cast<std::size_t>(got)}, header)) {
        case ProxyParse::invalid:
            return std::nullopt;
        case ProxyParse::done:
            if (recv(fd, buffer, header.length, MSG_WAITALL) != static_cast<ssize_t>(header.length))
                return std::nullopt;
            return header;
        case ProxyParse::need_more:
            // The peeked bytes keep the socket readable: wait a little for the rest instead
            // of spinning (this thread only accepts).
            if (got == seen)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            seen = got;
            break;
        }
    }
}

} // namespace

ProxyListener::ProxyListener(const std::string& bind, std::uint16_t port, TrustedProxies proxies,
                             MHD_Daemon* daemon)
    : proxies_(std::move(proxies)), daemon_(daemon) {
    ListenAddress where = parse_listen_address(bind, port);
    sockaddr_storage& address = where.address;
    socklen_t size = where.ipv6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    Fd listener{socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    int on = 1;
    if (listener.fd < 0 || setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        ::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(listener.fd, 128) != 0)
        throw std::runtime_error("cannot listen for PROXY protocol on " + bind + ":" +
                                 std::to_string(port) + ": " + std::strerror(errno));
    sockaddr_storage bound{};
    socklen_t bound_size = sizeof bound;
    getsockname(listener.fd, reinterpret_cast<sockaddr*>(&bound), &bound_size);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                              : reinterpret_cast<sockaddr_in&>(bound).sin_port);
    listener_ = listener.release();
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

ProxyListener::~ProxyListener() {
    thread_.request_stop();
    if (thread_.joinable())
        thread_.join();
    close(listener_);
}

void ProxyListener::run(std::stop_token stop) {
    while (!stop.stop_requested()) {
        pollfd wait{listener_, POLLIN, 0};
        if (poll(&wait, 1, 200) > 0)
            accept_one();
    }
}

void ProxyListener::accept_one() {
    sockaddr_storage peer{};
    socklen_t peer_size = sizeof peer;
    Fd client{accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &peer_size, SOCK_CLOEXEC)};
    if (client.fd < 0)
        return;
    std::optional<IpAddress> from = address_of(peer);
    const char* problem = nullptr;
    std::optional<ProxyHeader> header;
    if (!from || !proxies_.contains(*from))
        problem = "not a trusted proxy (http.trusted_proxies)";
    else if (!(header = read_header(client.fd)))
        problem = "no valid PROXY protocol header within 2 s";
    if (problem != nullptr) {
        // Counted, and logged once per power of two so that a scanner cannot fill the log.
        unsigned long long count = ++refused_;
        if ((count & (count - 1)) == 0)
            LOG_WARN("httpd", "PROXY listener: dropped a connection from %s: %s (%llu so far)",
                     from ? from->text().c_str() : "?", problem, count);
        return;
    }
    sockaddr_storage source = peer;
    socklen_t source_size = peer_size;
    if (header->has_source) {
        source = {};
        if (header->source.v6) {
            auto& v6 = reinterpret_cast<sockaddr_in6&>(source);
            v6.sin6_family = AF_INET6;
            v6.sin6_port = htons(header->source_port);
            std::memcpy(&v6.sin6_addr, header->source.bytes.data(), 16);
            source_size = sizeof v6;
        } else {
            auto& v4 = reinterpret_cast<sockaddr_in&>(source);
            v4.sin_family = AF_INET;
            v4.sin_port = htons(header->source_port);
            std::memcpy(&v4.sin_addr, header->source.bytes.data(), 4);
            source_size = sizeof v4;
        }
    }
    // libmicrohttpd's own accepted sockets are non-blocking; so is this one.
    fcntl(client.fd, F_SETFL, fcntl(client.fd, F_GETFL) | O_NONBLOCK);
    // libmicrohttpd owns the socket from here, and closes it itself if it cannot take it.
    if (MHD_add_connection(daemon_, client.release(), reinterpret_cast<sockaddr*>(&source),
                           source_size) != MHD_YES)
        LOG_WARN("httpd", "PROXY listener: libmicrohttpd refused a connection from %s",
                 header->has_source ? header->source.text().c_str() : from->text().c_str());
}

} // namespace sarang::http
