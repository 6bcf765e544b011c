// sarang-httpd: the REST sidecar. Reads sarang.conf (--config PATH, or $SARANG_CONFIG), serves
// until SIGINT or SIGTERM, then finishes running requests and exits.
#include "db_pool.hpp"
#include "handlers/handlers.hpp"
#include "http_server.hpp"
#include "sarang/config.hpp"
#include "sarang/log.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>

using namespace sarang;

namespace {

std::string config_path(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--config") == 0)
            return argv[i + 1];
    }
    const char* from_env = std::getenv("SARANG_CONFIG");
    return from_env ? from_env : "sarang.conf";
}

} // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::printf("usage: sarang-httpd [--config PATH]\n"
                        "Serves the Sarang REST API. PATH defaults to $SARANG_CONFIG, then "
                        "./sarang.conf.\n");
            return 0;
        }
    }
    // Block the stop signals before any thread starts so that only sigwait below sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        Config config = Config::load_file(config_path(argc, argv));
        if (!log::set_level(config.string("log.level")))
            throw ConfigError("log.level must be debug, info, warning or error");
        long port = config.integer("http.port");
        long threads = config.integer("http.threads");
        long pool_size = config.integer("http.db_pool_size");
        long max_body = config.integer("http.max_body_bytes");
        if (port < 0 || port > 65535 || threads < 1 || threads > 64 || pool_size < 1 ||
            max_body < 1)
            throw ConfigError("http.port, http.threads, http.db_pool_size or http.max_body_bytes "
                              "out of range");

        http::DbPool pool(config.string("db.dsn"), static_cast<std::size_t>(pool_size));
        http::Router router;
        http::add_health_routes(router, pool);
        http::add_readings_routes(router, pool);

        http::ServerOptions options;
        options.bind = config.string("http.bind");
        options.port = static_cast<std::uint16_t>(port);
        options.threads = static_cast<unsigned>(threads);
        options.max_body_bytes = static_cast<std::size_t>(max_body);
        http::HttpServer server(options, router);
        LOG_INFO("httpd", "listening on http://%s:%u", options.bind.c_str(), server.port());

        int received = 0;
        sigwait(&stop_signals, &received);
        LOG_INFO("httpd", "%s received; finishing requests", strsignal(received));
    } catch (const std::exception& error) {
        LOG_ERROR("httpd", "%s", error.what());
        return 1;
    }
    LOG_INFO("httpd", "stopped");
    return 0;
}
