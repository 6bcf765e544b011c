#pragma once
// libmicrohttpd with its own epoll polling threads, feeding requests to the Router.
//
// Per request: the body is collected up to max_body_bytes (413 as soon as Content-Length or the
// data says it is larger); a quick route's handler runs on the polling thread, a slow route's
// on the SlowPool while libmicrohttpd holds the connection suspended; every handler runs inside
// an exception firewall (HttpError -> its response, 503 when the database is unreachable or the
// pool is busy, 500 otherwise); one access-log line and the metrics are written when the
// response is done.
//
// A response with a `stream` is sent with chunked encoding as its StreamBody fills.
//
// Shutdown (destructor): stop accepting, run the stop hook (it ends open streams), let running
// requests finish (up to drain_timeout), run what the slow pool still holds, then stop the
// polling threads.
#include "metrics.hpp"
#include "net/client_address.hpp"
#include "router.hpp"
#include "slow_pool.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

struct MHD_Daemon;

namespace sarang::http {

class ProxyListener;

struct ServerOptions {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 8080; // 0: any free port
    unsigned threads = 2;
    std::size_t max_body_bytes = 65536;    // routes may set their own (uploads)
    std::string upload_spool_dir = "/tmp"; // where upload routes spool file parts
    // An upload whose body has not all arrived this long after its head is dropped (the
    // connection closed, its spool deleted), however steadily it trickles.
    std::chrono::seconds upload_timeout{120};
    unsigned slow_workers = 2;
    std::size_t slow_queue = 64;
    std::chrono::milliseconds drain_timeout{10000};
    // http.trusted_proxies / http.client_address_header (net/client_address.hpp).
    TrustedProxies trusted_proxies;
    ForwardedHeader forwarded_header = ForwardedHeader::x_forwarded_for;
    // http.proxy_protocol_port: a second listener for proxies in TCP mode (net/proxy_listener.hpp)
    std::optional<std::uint16_t> proxy_protocol_port;
};

class HttpServer {
  public:
    // Starts listening; throws std::runtime_error when it cannot.
    HttpServer(ServerOptions options, const Router& router, Metrics& metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const;
    std::uint16_t proxy_protocol_port() const; // 0: no PROXY listener
    // Runs at the start of shutdown, before the drain; must not throw.
    void on_stop(std::function<void()> hook) { stop_hook_ = std::move(hook); }

    // For the libmicrohttpd callbacks.
    const Router& router() const { return router_; }
    const ServerOptions& options() const { return options_; }
    Metrics& metrics() { return metrics_; }
    SlowPool& slow_pool() { return *slow_pool_; }
    std::atomic<long>& in_flight() { return in_flight_; }
    bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  private:
    struct StopDaemon {
        void operator()(MHD_Daemon* daemon) const;
    };
    ServerOptions options_;
    const Router& router_;
    Metrics& metrics_;
    std::atomic<long> in_flight_{0};
    std::atomic<bool> stopping_{false};
    std::unique_ptr<SlowPool> slow_pool_;
    std::function<void()> stop_hook_;
    std::unique_ptr<MHD_Daemon, StopDaemon> daemon_;
    std::unique_ptr<ProxyListener> proxy_listener_; // stopped first, in the destructor
};

} // namespace sarang::http
