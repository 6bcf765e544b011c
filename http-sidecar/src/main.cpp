// sarang-httpd: the REST sidecar. Reads sarang.conf (--config PATH, or $SARANG_CONFIG), serves
// until SIGINT or SIGTERM, then finishes running requests and exits. SIGHUP reads the HTTPS
// certificate and key again (docs/tls.md).
// `sarang-httpd --list-routes` prints the route table (METHOD PATTERN per line) and exits; the
// OpenAPI test compares it with openapi.json. `--print-access` prints the routes' access rules
// as the Markdown table docs/http-api.md carries (route_access_test compares the two).
#include "auth/route_access.hpp"
#include "db_pool.hpp"
#include "device_rejections.hpp"
#include "handlers/handlers.hpp"
#include "http_server.hpp"
#include "listen_address.hpp"
#include "metrics.hpp"
#include "notify/http_out.hpp"
#include "notify/notification_worker.hpp"
#include "parcel/photo_store.hpp"
#include "redirect_server.hpp"
#include "retention/partition_jobs.hpp"
#include "sarang/auth_settings.hpp"
#include "sarang/config.hpp"
#include "sarang/credentials.hpp"
#include "sarang/log.hpp"
#include "session_purger.hpp"
#include "storage_sweeper.hpp"
#include "stream/stream_hub.hpp"
#include "tls_credentials.hpp"
#include "vending/server_key.hpp"
#include "web/static_site.hpp"
#include "worker_status.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
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

bool has_flag(int argc, char** argv, const char* flag) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], flag) == 0)
            return true;
    }
    return false;
}

int list_routes(bool access) {
    http::DbPool pool("", 0);
    http::Services services{pool, "", {}};
    http::Metrics metrics;
    http::StreamHub hub("", {});
    http::Router router;
    http::add_all_routes(router, services, metrics, hub);
    if (access) {
        std::fputs(http::access_table(router).c_str(), stdout);
        return 0;
    }
    for (const http::Route& route : router.routes())
        std::printf("%s %s\n", route.method.c_str(), route.pattern.c_str());
    return 0;
}

http::NotifySettings notify_settings(const Config& config) {
    http::NotifySettings notify;
    notify.gowa.base_url = config.string("gowa.base_url");
    notify.gowa.username = config.string("gowa.username");
    notify.gowa.password = config.string("gowa.password");
    // Two requests (a pairing check, then the send) stay below the 60 s delivery claim.
    notify.gowa.timeout =
        std::chrono::milliseconds(config.integer_in("gowa.timeout_ms", 100, 25000));
    notify.public_url = config.string("http.public_url");
    notify.pepper = pepper_from_config(config);
    notify.max_attempts = static_cast<int>(config.integer_in("notify.max_attempts", 1, 50));
    notify.retry_base =
        std::chrono::milliseconds(config.integer_in("notify.retry_base_ms", 10, 3600000));
    notify.allow_private_webhooks = config.boolean("notify.allow_private_webhooks");
    notify.offline_after =
        std::chrono::seconds(config.integer_in("notify.offline_after_s", 0, 604800));
    notify.image_url_ttl =
        std::chrono::seconds(config.integer_in("notify.image_url_ttl_s", 60, 7 * 86400));
    return notify;
}

http::VendingSettings vending_settings(const Config& config) {
    http::VendingSettings vending;
    vending.midtrans_server_key = config.string("vending.midtrans_server_key");
    vending.dispense_timeout_ms = config.integer_in("vending.dispense_timeout_ms", 100, 120000);
    vending.result_grace_ms = config.integer_in("vending.result_grace_ms", 0, 600000);
    vending.dispense_on_payment = config.boolean("vending.dispense_on_payment");
    if (vending.midtrans_server_key.empty())
        LOG_WARN("httpd", "vending.midtrans_server_key is unset: payment webhooks are refused"
                          " until `sarangctl payments set-key`");
    return vending;
}

http::StreamLimits stream_limits(const Config& config) {
    http::StreamLimits limits;
    limits.max_streams = static_cast<std::size_t>(config.integer_in("http.max_streams", 1, 100000));
    limits.max_streams_per_user =
        static_cast<std::size_t>(config.integer_in("http.max_streams_per_user", 1, 1000));
    limits.heartbeat = std::chrono::seconds(config.integer_in("http.stream_heartbeat_s", 1, 300));
    return limits;
}

void register_stream_metrics(http::Metrics& metrics, http::StreamHub& hub) {
    metrics.add_gauge("sarang_http_streams_open", "Event streams (GET /api/v1/stream) open.",
                      [&hub] { return static_cast<double>(hub.open_streams()); });
    metrics.add_counter("sarang_http_stream_dropped_total",
                        "Event streams ended because their client fell too far behind.",
                        [&hub] { return static_cast<double>(hub.dropped()); });
    metrics.add_counter("sarang_http_stream_refused_total",
                        "Event streams refused by the per-user or server limit.",
                        [&hub] { return static_cast<double>(hub.refused()); });
    metrics.add_counter("sarang_http_stream_events_total", "Device events queued on event streams.",
                        [&hub] { return static_cast<double>(hub.events()); });
    metrics.add_counter("sarang_http_stream_resyncs_total",
                        "Times every stream was resynchronised after a lost database connection.",
                        [&hub] { return static_cast<double>(hub.resyncs()); });
}

// The listeners /metrics sums over: the main server and its plain loopback twin
// (http.loopback_port). Each leaves the set before it is destroyed (ServerSet::Entry, declared
// after it), so /metrics answered by one during shutdown never reads the other once it is gone.
class ServerSet {
  public:
    struct Entry {
        Entry(ServerSet& set, http::HttpServer& server) : set_(set), server_(&server) {
            std::lock_guard lock(set_.mutex_);
            set_.servers_.push_back(server_);
        }
        ~Entry() {
            std::lock_guard lock(set_.mutex_);
            std::erase(set_.servers_, server_);
        }
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;

      private:
        ServerSet& set_;
        http::HttpServer* server_;
    };

    template <typename Read> std::function<double()> sum(Read read) {
        return [this, read] {
            std::lock_guard lock(mutex_);
            double total = 0;
            for (http::HttpServer* server : servers_)
                total += static_cast<double>(read(*server));
            return total;
        };
    }

  private:
    std::mutex mutex_;
    std::vector<http::HttpServer*> servers_;
};

void register_retention_metrics(http::Metrics& metrics, const http::RetentionCounters& counters) {
    auto count = [](const std::atomic<unsigned long long>& counter) {
        return [&counter] { return static_cast<double>(counter.load()); };
    };
    metrics.add_counter("sarang_retention_rounds_total",
                        "Retention rounds (partition maintenance) this sidecar ran.",
                        count(counters.rounds));
    metrics.add_counter("sarang_retention_rounds_skipped_total",
                        "Retention rounds left to another sidecar holding the lock.",
                        count(counters.rounds_skipped));
    metrics.add_counter("sarang_retention_lock_timeouts_total",
                        "Retention jobs that gave up waiting for a lock; retried next round.",
                        count(counters.lock_timeouts));
    metrics.add_counter("sarang_retention_job_failures_total",
                        "Retention jobs that failed otherwise; retried next round.",
                        count(counters.job_failures));
}

void register_gauges(http::Metrics& metrics, http::DbPool& pool, ServerSet& servers) {
    auto sum = [&servers](auto read) { return servers.sum(read); };
    metrics.add_gauge("sarang_http_in_flight", "Requests being handled.",
                      sum([](http::HttpServer& server) { return server.in_flight().load(); }));
    metrics.add_gauge("sarang_http_db_pool_size", "PostgreSQL connections in the pool.",
                      [&pool] { return static_cast<double>(pool.size()); });
    metrics.add_gauge("sarang_http_db_pool_idle", "PostgreSQL connections not leased.",
                      [&pool] { return static_cast<double>(pool.idle_count()); });
    metrics.add_gauge("sarang_http_slow_queue_depth", "Slow requests waiting for a worker.",
                      sum([](http::HttpServer& server) { return server.slow_pool().queued(); }));
    metrics.add_gauge("sarang_http_slow_workers_busy", "Slow workers running a request.",
                      sum([](http::HttpServer& server) { return server.slow_pool().busy(); }));
    metrics.add_counter(
        "sarang_http_slow_rejected_total",
        "Slow requests refused with 503 because the queue was full.",
        sum([](http::HttpServer& server) { return server.slow_pool().rejected(); }));
    // The broker plugins' workers, from their rows in worker_status (every node's).
    metrics.add_family([&pool] {
        try {
            http::DbPool::Lease db = pool.acquire(std::chrono::milliseconds(500));
            return http::render_worker_metrics(http::read_worker_status(*db)) +
                   http::render_rejection_metrics(*db);
        } catch (const std::exception& error) {
            LOG_WARN("httpd", "worker status not read for /metrics: %s", error.what());
            return std::string();
        }
    });
}

// http.tls_cert_file and http.tls_key_file: HTTPS when both are set. Plain HTTP is refused on
// anything but loopback: there it carries passwords and session tokens in the clear.
std::unique_ptr<http::TlsCredentials> tls_from_config(const Config& config,
                                                      const std::string& bind) {
    std::string cert = config.string("http.tls_cert_file");
    std::string key = config.string("http.tls_key_file");
    if (cert.empty() != key.empty())
        throw ConfigError("set both http.tls_cert_file and http.tls_key_file, or neither");
    if (cert.empty()) {
        if (!http::is_loopback(bind))
            throw ConfigError("http.bind = " + bind +
                              " would serve plain HTTP beyond this machine; set "
                              "http.tls_cert_file and http.tls_key_file (sarangctl tls init), "
                              "or bind 127.0.0.1 behind a TLS proxy (docs/tls.md)");
        return nullptr;
    }
    return std::make_unique<http::TlsCredentials>(cert, key);
}

} // namespace

int main(int argc, char** argv) {
    if (has_flag(argc, argv, "--help") || has_flag(argc, argv, "-h")) {
        std::printf("usage: sarang-httpd [--config PATH] [--list-routes] [--print-access]\n"
                    "Serves the Sarang REST API. PATH defaults to $SARANG_CONFIG, then "
                    "./sarang.conf.\n");
        return 0;
    }
    if (has_flag(argc, argv, "--list-routes") || has_flag(argc, argv, "--print-access"))
        return list_routes(has_flag(argc, argv, "--print-access"));
    // Block the stop signals before any thread starts so that only sigwait below sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        Config config = Config::load_file(config_path(argc, argv));
        if (!log::set_level(config.string("log.level")))
            throw ConfigError("log.level must be debug, info, warning or error");
        http::ServerOptions options;
        options.bind = config.string("http.bind");
        options.port = static_cast<std::uint16_t>(config.integer_in("http.port", 0, 65535));
        options.threads = static_cast<unsigned>(config.integer_in("http.threads", 1, 64));
        options.max_body_bytes =
            static_cast<std::size_t>(config.integer_in("http.max_body_bytes", 1, 1L << 30));
        // Refused at start: a typo here would otherwise trust nobody (or everybody) quietly.
        try {
            options.trusted_proxies =
                http::TrustedProxies::parse(config.string("http.trusted_proxies"));
        } catch (const http::CidrError& error) {
            throw ConfigError(std::string("http.trusted_proxies: ") + error.what());
        }
        try {
            options.forwarded_header =
                http::parse_forwarded_header(config.string("http.client_address_header"));
        } catch (const http::CidrError& error) {
            throw ConfigError(std::string("http.client_address_header: ") + error.what());
        }
        if (long port = config.integer_in("http.proxy_protocol_port", 0, 65535); port != 0) {
            if (options.trusted_proxies.empty())
                throw ConfigError("http.proxy_protocol_port needs http.trusted_proxies: only "
                                  "the proxies listed there may connect to it");
            options.proxy_protocol_port = static_cast<std::uint16_t>(port);
        }
        options.slow_workers = static_cast<unsigned>(config.integer_in("http.slow_workers", 1, 64));
        options.slow_queue =
            static_cast<std::size_t>(config.integer_in("http.slow_queue", 1, 100000));
        // Checked first: a listener that would be refused stops the sidecar before anything runs.
        std::unique_ptr<http::TlsCredentials> tls = tls_from_config(config, options.bind);
        options.tls = tls.get();
        options.hsts_max_age = config.integer_in("http.hsts_max_age", 0, 2L * 365 * 86400);
        auto redirect_port =
            static_cast<std::uint16_t>(config.integer_in("http.redirect_port", 0, 65535));
        auto loopback_port =
            static_cast<std::uint16_t>(config.integer_in("http.loopback_port", 0, 65535));
        if (!tls && (redirect_port != 0 || loopback_port != 0))
            throw ConfigError("http.redirect_port and http.loopback_port go with HTTPS (set "
                              "http.tls_cert_file and http.tls_key_file)");

        long pool_size = config.integer_in("http.db_pool_size", 1, 256);
        std::chrono::seconds purge_interval(
            config.integer_in("http.session_purge_interval_s", 1, 86400));

        http::out::global_init();
        http::NotifySettings notify = notify_settings(config);
        http::DbPool pool(config.string("db.dsn"), static_cast<std::size_t>(pool_size));
        http::Services services{pool, notify.pepper, auth_settings_from_config(config),
                                http::GowaClient(notify.gowa), vending_settings(config)};
        services.provision.default_kind = config.string("provision.default_kind");
        services.provision.pre_registration_ttl = std::chrono::seconds(
            config.integer_in("provision.pre_registration_ttl_s", 1, 30 * 86400));
        services.provision.pre_registrations_per_hour = static_cast<int>(
            config.integer_in("provision.pre_registrations_per_user_per_hour", 1, 10000));
        services.provision.max_pending_pre_registrations = static_cast<int>(
            config.integer_in("provision.max_pending_pre_registrations", 1, 10000));
        services.provision.broker_host = config.string("provision.broker_host");
        services.provision.broker_port =
            static_cast<int>(config.integer_in("provision.broker_port", 1, 65535));
        services.storage.max_upload_bytes =
            static_cast<std::size_t>(config.integer_in("storage.max_upload_bytes", 1024, 1L << 30));
        options.upload_timeout =
            std::chrono::seconds(config.integer_in("storage.upload_timeout_s", 5, 3600));
        services.storage.uploads_per_device =
            static_cast<int>(config.integer_in("storage.uploads_per_device", 1, 64));
        services.storage.rotation_grace =
            std::chrono::seconds(config.integer_in("access.rotation_grace_s", 0, 90L * 86400));
        http::init_image_library(argv[0]);
        http::PhotoStore photos(config.string("storage.dir"));
        services.photos = &photos;
        http::ServerKey server_key(config_path(argc, argv), services.vending.midtrans_server_key);
        services.server_key = &server_key;
        options.upload_spool_dir = photos.spool_dir();
        http::Metrics metrics;
        // Partition maintenance and retention (docs/operations.md, "Partitions and retention");
        // before the servers, whose /metrics reads its counters until they stop.
        http::RetentionWorker retention(
            config.string("db.dsn"),
            std::chrono::seconds(config.integer_in("retention.interval_seconds", 1, 86400)),
            std::chrono::seconds(2), http::partition_jobs(http::partitioned_tables(config)));
        register_retention_metrics(metrics, retention.counters());
        ServerSet servers;
        // Declared before the server: streams' bodies call back into it until the daemon stops.
        http::StreamHub hub(config.string("db.dsn"), stream_limits(config));
        http::Router router;
        router.set_authenticator(http::authenticator(services));
        http::add_all_routes(router, services, metrics, hub);
        // The dashboard (docs/dashboard.md); unset: the sidecar serves the API alone.
        std::unique_ptr<http::StaticSite> site;
        if (std::string web_dir = config.string("http.web_dir"); !web_dir.empty()) {
            site = std::make_unique<http::StaticSite>(web_dir);
            router.set_fallback(
                [&site](const http::Request& request) { return site->serve(request); });
            LOG_INFO("httpd", "serving the dashboard from %s", web_dir.c_str());
        }

        http::HttpServer server(options, router, metrics);
        ServerSet::Entry listed(servers, server);
        server.on_stop([&hub] { hub.close_all(); });
        register_stream_metrics(metrics, hub);
        hub.start();
        http::SessionPurger purger(pool, purge_interval);
        http::StorageSweeper sweeper(
            pool, photos,
            std::chrono::seconds(config.integer_in("storage.sweep_interval_s", 1, 86400)),
            std::chrono::seconds(config.integer_in("storage.sweep_grace_s", 1, 86400)));
        http::NotificationWorker notifier(config.string("db.dsn"), notify);
        // The same API in plain HTTP on loopback only, beside HTTPS: local scrapers and tools.
        std::unique_ptr<http::HttpServer> loopback;
        std::optional<ServerSet::Entry> loopback_listed;
        if (loopback_port != 0) {
            http::ServerOptions plain = options;
            plain.bind = options.bind.find(':') != std::string::npos ? "::1" : "127.0.0.1";
            plain.port = loopback_port;
            plain.tls = nullptr;
            plain.proxy_protocol_port.reset();
            loopback = std::make_unique<http::HttpServer>(plain, router, metrics);
            loopback->on_stop([&hub] { hub.close_all(); });
            loopback_listed.emplace(servers, *loopback);
            LOG_INFO("httpd", "plain HTTP on http://%s:%u", plain.bind.c_str(), loopback->port());
        }
        register_gauges(metrics, pool, servers);
        std::unique_ptr<http::RedirectServer> redirect;
        if (redirect_port != 0) {
            redirect = std::make_unique<http::RedirectServer>(
                options.bind, redirect_port, config.string("http.public_url"), server.port());
            LOG_INFO("httpd", "redirecting http://%s:%u to HTTPS", options.bind.c_str(),
                     redirect->port());
        }
        if (tls)
            LOG_INFO("httpd", "listening on https://%s:%u (%s)", options.bind.c_str(),
                     server.port(), tls->describe().c_str());
        else
            LOG_INFO("httpd", "listening on http://%s:%u", options.bind.c_str(), server.port());
        if (server.proxy_protocol_port() != 0)
            LOG_INFO("httpd", "listening for PROXY protocol connections on %s:%u",
                     options.bind.c_str(), server.proxy_protocol_port());

        int received = 0;
        while (sigwait(&stop_signals, &received) == 0 && received == SIGHUP) {
            if (!tls) {
                LOG_INFO("httpd", "SIGHUP: no TLS certificate to reload");
                continue;
            }
            try {
                tls->reload();
                LOG_INFO("httpd", "SIGHUP: new TLS handshakes use %s", tls->describe().c_str());
            } catch (const std::exception& error) {
                LOG_ERROR("httpd", "SIGHUP: certificate not reloaded, the old one stays: %s",
                          error.what());
            }
        }
        LOG_INFO("httpd", "%s received; finishing requests", strsignal(received));
    } catch (const std::exception& error) {
        LOG_ERROR("httpd", "%s", error.what());
        return 1;
    }
    LOG_INFO("httpd", "stopped");
    return 0;
}
