#pragma once
// libmicrohttpd with its own epoll polling threads, feeding requests to the Router.
//
// Per request: the body is collected up to max_body_bytes (413 as soon as Content-Length or the
// data says it is larger), the handler runs inside an exception firewall (503 when the
// database is unreachable or the pool is busy, 500 otherwise), and one access-log line is
// written when the response is done.
#include "router.hpp"

#include <cstdint>
#include <memory>
#include <string>

struct MHD_Daemon;

namespace sarang::http {

struct ServerOptions {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 8080; // 0: any free port
    unsigned threads = 2;
    std::size_t max_body_bytes = 65536;
};

class HttpServer {
  public:
    // Starts listening; throws std::runtime_error when it cannot.
    HttpServer(ServerOptions options, const Router& router);
    ~HttpServer(); // stops accepting, finishes running requests, joins the threads
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const;

    // For the libmicrohttpd callbacks.
    const Router& router() const { return router_; }
    const ServerOptions& options() const { return options_; }

  private:
    struct StopDaemon {
        void operator()(MHD_Daemon* daemon) const;
    };
    ServerOptions options_;
    const Router& router_;
    std::unique_ptr<MHD_Daemon, StopDaemon> daemon_;
};

} // namespace sarang::http
