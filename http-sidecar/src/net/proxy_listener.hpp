#pragma once
// A second listening socket for a proxy in TCP mode (HAProxy `send-proxy` / `send-proxy-v2`,
// nginx `proxy_protocol on` in a stream block): http.proxy_protocol_port. Only peers in
// http.trusted_proxies may connect; each connection must start with a PROXY protocol header
// (net/proxy_protocol.hpp), which is read here and dropped, and the connection is handed to
// libmicrohttpd (MHD_add_connection) with the address the header names, so every request on it
// has the real client as its peer. A connection that is refused, sends no valid header within
// 2 s, or closes is dropped.
#include "net/client_address.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

struct MHD_Daemon;

namespace sarang::http {

class ProxyListener {
  public:
    // Listens on bind:port (0: any free port); throws std::runtime_error when it cannot.
    ProxyListener(const std::string& bind, std::uint16_t port, TrustedProxies proxies,
                  MHD_Daemon* daemon);
    ~ProxyListener(); // stops accepting; connections handed over stay with libmicrohttpd
    ProxyListener(const ProxyListener&) = delete;
    ProxyListener& operator=(const ProxyListener&) = delete;
    std::uint16_t port() const { return port_; }

  private:
    void run(std::stop_token stop);
    void accept_one();
    int listener_ = -1;
    std::uint16_t port_ = 0;
    TrustedProxies proxies_;
    MHD_Daemon* daemon_;
    std::atomic<unsigned long long> refused_{0};
    std::jthread thread_; // last: started once the rest is ready
};

} // namespace sarang::http
