#pragma once
// http.redirect_port: a plain-HTTP listener that answers every request with 308 to the same
// path on HTTPS and serves nothing else, so a browser typing the bare host name lands on TLS
// (and HSTS keeps it there). No request body is read and nothing reaches the router.
#include <cstdint>
#include <memory>
#include <string>

struct MHD_Daemon;

namespace sarang::http {

class RedirectServer {
  public:
    // Throws std::runtime_error when it cannot listen.
    RedirectServer(const std::string& bind, std::uint16_t port, std::string public_url,
                   std::uint16_t https_port);
    ~RedirectServer();
    RedirectServer(const RedirectServer&) = delete;
    RedirectServer& operator=(const RedirectServer&) = delete;

    std::uint16_t port() const;
    const std::string& public_url() const { return public_url_; }
    std::uint16_t https_port() const { return https_port_; }

  private:
    struct StopDaemon {
        void operator()(MHD_Daemon* daemon) const;
    };
    std::string public_url_;
    std::uint16_t https_port_;
    std::uint16_t port_;
    std::unique_ptr<MHD_Daemon, StopDaemon> daemon_;
};

} // namespace sarang::http
