#include "http_server.hpp"

#include "db_pool.hpp"
#include "http_error.hpp"
#include "listen_address.hpp"
#include "net/proxy_listener.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"
#include "stream/stream_body.hpp"
#include "text_encoding.hpp"
#include "tls_credentials.hpp"
#include "upload/upload_spool.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <microhttpd.h>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <strings.h>
#include <thread>
#include <unistd.h>

namespace sarang::http {
namespace {

// A connection that sends nothing for this long is closed by libmicrohttpd.
constexpr unsigned connection_idle_timeout_s = 30;

struct RequestContext {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    Request request;
    std::string route = "unmatched";
    Router::Match match;        // looked up when the headers arrive: the route sets the limit
    std::size_t body_limit = 0; // bytes
    std::size_t body_seen = 0;  // bytes, spooled or not
    std::unique_ptr<UploadSpool> spool; // upload routes: the body goes here, not into request
    bool not_multipart = false;
    bool too_large = false;
    std::optional<Response> refused; // by the route's admit check, before the body
    Admission admission;             // what the admit check handed out, until the request ends
    bool handed_off = false;         // a slow job owns the request until it resumes the connection
    bool response_ready = false;     // set by the slow job before it resumes
    Response response;
    int status = 0;
    const std::string* strict_transport = nullptr; // the server's, for HTTPS answers
};

struct DestroyResponse {
    void operator()(MHD_Response* response) const { MHD_destroy_response(response); }
};

Response run_guarded(const Handler& handler, const Request& request) {
    try {
        return handler(request);
    } catch (const HttpError& error) {
        return error.response();
    } catch (const PoolExhausted&) {
        Response response = error_response(503, "busy", "all database connections are busy");
        response.headers.emplace_back("Retry-After", "1");
        return response;
    } catch (const pg::Error& error) {
        if (error.kind() == pg::ErrorKind::reconnect) {
            LOG_WARN("httpd", "%s %s: database unavailable: %s", request.method.c_str(),
                     request.path.c_str(), error.what());
            Response response = error_response(503, "database_unavailable",
                                               "the database is unavailable; try again shortly");
            response.headers.emplace_back("Retry-After", "2");
            return response;
        }
        LOG_ERROR("httpd", "%s %s: %s", request.method.c_str(), request.path.c_str(), error.what());
    } catch (const std::exception& error) {
        LOG_ERROR("httpd", "%s %s: %s", request.method.c_str(), request.path.c_str(), error.what());
    } catch (...) {
        LOG_ERROR("httpd", "%s %s: unknown exception", request.method.c_str(),
                  request.path.c_str());
    }
    return error_response(500, "internal", "internal error; see the server log");
}

// The route's access rule, then its handler (Router::run).
Response run_handler(const Router& router, const Route& route, Request& request) {
    return run_guarded([&](const Request&) { return router.run(route, request); }, request);
}

// The access rule and Route::admit (Router::admit), with the handlers' error handling;
// nullopt: admitted (Route::admit's admission kept in `admission`).
std::optional<Response> refusal_before_body(const Router& router, const Router::Match& match,
                                            const Request& request, Admission& admission) {
    constexpr int admitted = 0;
    Response answer = run_guarded(
        [&](const Request& checked) {
            admission = router.admit(*match.route, checked, match.params);
            Response go_on;
            go_on.status = admitted;
            return go_on;
        },
        request);
    if (answer.status == admitted)
        return std::nullopt;
    return answer;
}

// A streamed body: libmicrohttpd owns one reference to it until the response is freed.
using StreamHolder = std::shared_ptr<StreamBody>;

ssize_t read_stream(void* cls, uint64_t, char* out, size_t max) noexcept {
    try {
        ssize_t copied = (*static_cast<StreamHolder*>(cls))->read(out, max);
        return copied < 0 ? MHD_CONTENT_READER_END_OF_STREAM : copied;
    } catch (...) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

void free_stream(void* cls) noexcept {
    std::unique_ptr<StreamHolder> holder(static_cast<StreamHolder*>(cls));
    (*holder)->finish();
}

MHD_Response* make_reply(MHD_Connection* connection, const Response& response) {
    if (response.file) {
        // libmicrohttpd closes the descriptor it is given; the Response keeps its own.
        int copy = dup(response.file->fd);
        if (copy < 0)
            return nullptr;
        MHD_Response* reply = MHD_create_response_from_fd64(response.file->size, copy);
        if (reply == nullptr)
            close(copy);
        return reply;
    }
    if (!response.stream)
        return MHD_create_response_from_buffer(
            response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
    auto holder = std::make_unique<StreamHolder>(response.stream);
    response.stream->attach(connection);
    MHD_Response* reply = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16 * 1024, &read_stream, holder.get(), &free_stream);
    if (reply == nullptr)
        response.stream->finish();
    else
        holder.release(); // free_stream deletes it
    return reply;
}

MHD_Result send(MHD_Connection* connection, RequestContext& context, const Response& response) {
    std::unique_ptr<MHD_Response, DestroyResponse> reply(make_reply(connection, response));
    if (!reply)
        return MHD_NO;
    MHD_add_response_header(reply.get(), MHD_HTTP_HEADER_CONTENT_TYPE,
                            response.content_type.c_str());
    // API answers are never cached; static files say how long they may be kept.
    bool sets_cache_control = false;
    for (const auto& header : response.headers)
        sets_cache_control = sets_cache_control || header.first == "Cache-Control";
    if (!sets_cache_control)
        MHD_add_response_header(reply.get(), "Cache-Control", "no-store");
    MHD_add_response_header(reply.get(), "X-Content-Type-Options", "nosniff");
    if (context.strict_transport != nullptr)
        MHD_add_response_header(reply.get(), "Strict-Transport-Security",
                                context.strict_transport->c_str());
    for (const auto& [name, value] : response.headers)
        MHD_add_response_header(reply.get(), name.c_str(), value.c_str());
    MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(response.status), reply.get());
    if (queued == MHD_YES)
        context.status = response.status;
    return queued;
}

// Header names are case-insensitive, so they are kept lower-cased; query names are not
// (?deviceId= is the seeds' spelling), so they are kept as sent.
MHD_Result collect_value(void* cls, const char* key, const char* value, bool lower_case) {
    try {
        auto& into = *static_cast<std::map<std::string, std::string>*>(cls);
        std::string name(key);
        if (lower_case) {
            for (char& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        into.emplace(std::move(name), value ? value : "");
        return MHD_YES;
    } catch (...) {
        return MHD_NO;
    }
}

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
    return collect_value(cls, key, value, true);
}

MHD_Result collect_argument(void* cls, MHD_ValueKind, const char* key, const char* value) {
    return collect_value(cls, key, value, false);
}

std::string client_address(MHD_Connection* connection) {
    char address[INET6_ADDRSTRLEN] = "?";
    if (const MHD_ConnectionInfo* info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
        const sockaddr* peer = info->client_addr;
        if (peer->sa_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, address,
                      sizeof address);
        else if (peer->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr, address,
                      sizeof address);
    }
    return address;
}

// Every value of one header joined with ", " in arrival order: a proxy that appends its own
// X-Forwarded-For line (HAProxy's option forwardfor) leaves the client's line first, and the
// request's header map keeps only the first.
struct JoinedHeader {
    const char* name;
    std::optional<std::string> value;
};

MHD_Result join_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto& joined = *static_cast<JoinedHeader*>(cls);
    if (key == nullptr || strcasecmp(key, joined.name) != 0)
        return MHD_YES;
    try {
        if (joined.value)
            *joined.value += ", ";
        else
            joined.value.emplace();
        *joined.value += value ? value : "";
        return MHD_YES;
    } catch (...) {
        return MHD_NO;
    }
}

std::optional<std::string> joined_header(MHD_Connection* connection, const char* name) {
    JoinedHeader joined{name, std::nullopt};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &join_header, &joined);
    return joined.value;
}

bool connection_uses_tls(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_DAEMON);
    if (info == nullptr || info->daemon == nullptr)
        return false;
    const MHD_DaemonInfo* flags = MHD_get_daemon_info(info->daemon, MHD_DAEMON_INFO_FLAGS);
    return flags != nullptr && (flags->flags & MHD_USE_TLS) != 0;
}

// The one place a request's client address is decided (net/client_address.hpp): the peer, or
// what a trusted proxy says. Throttles, audit rows, sessions and log lines all read it.
void fill_client(const ServerOptions& options, MHD_Connection* connection, Request& request) {
    const TrustedProxies& proxies = options.trusted_proxies;
    // Without a header this only normalises (an IPv4-mapped peer becomes plain IPv4).
    request.peer_address = resolve_client_address(proxies, options.forwarded_header,
                                                  client_address(connection), nullptr);
    if (proxies.empty()) {
        request.client_address = request.peer_address;
        request.https = connection_uses_tls(connection);
        return;
    }
    std::optional<std::string> forwarded = joined_header(
        connection,
        options.forwarded_header == ForwardedHeader::forwarded ? "Forwarded" : "X-Forwarded-For");
    request.client_address = resolve_client_address(
        proxies, options.forwarded_header, request.peer_address, forwarded ? &*forwarded : nullptr);
    // The scheme from the same family of headers as the address: the other one is the client's.
    bool rfc = options.forwarded_header == ForwardedHeader::forwarded;
    std::optional<std::string> proto =
        rfc ? std::nullopt : joined_header(connection, "X-Forwarded-Proto");
    std::optional<std::string> rfc7239 = rfc ? forwarded : std::nullopt;
    request.https = connection_uses_tls(connection) ||
                    forwarded_https(proxies, request.peer_address, proto ? &*proto : nullptr,
                                    rfc7239 ? &*rfc7239 : nullptr);
}

// The path and every query name and value as UTF-8 text (see text_encoding.hpp).
bool text_is_utf8(const Request& request) {
    if (!valid_utf8(request.path))
        return false;
    for (const auto& [name, value] : request.query) {
        if (!valid_utf8(name) || !valid_utf8(value))
            return false;
    }
    return true;
}

// An upload holds a spool and its device's upload place (storage.uploads_per_device) until its
// connection ends. A peer that vanished without a FIN (a box losing power mid-photo) sends
// nothing more, so the trickle check in handle_request never runs for it: the connection's idle
// timeout is what ends it, and for an upload that is the upload timeout where shorter.
void limit_upload_idle_time(const ServerOptions& options, MHD_Connection* connection) {
    auto seconds = static_cast<unsigned>(
        std::min<long long>(options.upload_timeout.count(), connection_idle_timeout_s));
    MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

void fill_request(HttpServer& server, MHD_Connection* connection, const char* url,
                  const char* method, RequestContext& context) {
    Request& request = context.request;
    request.method = method;
    request.path = url;
    fill_client(server.options(), connection, request);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &collect_header, &request.headers);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &collect_argument, &request.query);
    context.body_limit = server.options().max_body_bytes;
    // Checked before routing: the router's 404 names the path, and a reply cannot hold bytes
    // that are not UTF-8.
    if (!text_is_utf8(request)) {
        context.refused = error_response(400, "invalid_encoding",
                                         "the path and query must be UTF-8 text without NUL");
        return;
    }
    context.match = server.router().match(request.method, request.path);
    const Route* route = context.match.route;
    if (route && route->max_body_bytes > 0)
        context.body_limit = route->max_body_bytes;
    const std::string* length = request.header("content-length");
    if (length != nullptr && std::strtoull(length->c_str(), nullptr, 10) > context.body_limit)
        context.too_large = true;
    else if (route && (route->multipart || route->admit) &&
             (context.refused =
                  refusal_before_body(server.router(), context.match, request, context.admission)))
        return;
    else if (route && route->multipart) {
        context.spool = UploadSpool::start(connection, server.options().upload_spool_dir);
        context.not_multipart = !context.spool;
        if (context.spool)
            limit_upload_idle_time(server.options(), connection);
    }
}

RequestContext* start_request(HttpServer& server, MHD_Connection* connection, const char* url,
                              const char* method) {
    auto* context = new (std::nothrow) RequestContext();
    if (context == nullptr)
        return nullptr;
    server.in_flight().fetch_add(1);
    try {
        fill_request(server, connection, url, method, *context);
    } catch (...) {
        // Not handed to libmicrohttpd yet, so on_completed would never count it out: a leaked
        // in-flight count holds a stop for its whole drain timeout.
        server.in_flight().fetch_sub(1);
        delete context;
        throw;
    }
    return context;
}

Response payload_too_large(const RequestContext& context) {
    return error_response(413, "payload_too_large",
                          "request body is larger than " + std::to_string(context.body_limit) +
                              " bytes");
}

Response not_multipart() {
    return error_response(415, "unsupported_media_type", "send the request as multipart/form-data");
}

Response busy_response(HttpServer& server) {
    Response busy = server.stopping()
                        ? error_response(503, "shutting_down", "the server is stopping")
                        : error_response(503, "busy", "the server is busy; try again shortly");
    busy.headers.emplace_back("Retry-After", "1");
    if (server.stopping())
        busy.headers.emplace_back("Connection", "close");
    return busy;
}

// Runs the matched route on its lane. A slow route suspends the connection; the job stores the
// response and resumes it, and libmicrohttpd calls on_request again to send it.
MHD_Result dispatch(HttpServer& server, MHD_Connection* connection, RequestContext& context) {
    Router::Match& match = context.match;
    if (match.route == nullptr)
        return send(connection, context, match.error);
    context.route = match.route->pattern;
    context.request.params = std::move(match.params);
    const Route* route = match.route;
    if (route->lane == Lane::quick)
        return send(connection, context, run_handler(server.router(), *route, context.request));

    // Built before the suspend so that nothing can throw between suspending and handing off.
    RequestContext* shared = &context;
    const Router* router = &server.router();
    SlowPool::Job job = [shared, router, route, connection]() noexcept {
        try {
            shared->response = run_handler(*router, *route, shared->request);
        } catch (...) { // run_handler catches everything but a failure to build its 500
            shared->response.status = 500;
            shared->response.body =
                R"({"error":"internal error; see the server log","code":"internal"})";
        }
        shared->response_ready = true;
        MHD_resume_connection(connection); // always: a suspended connection blocks shutdown
    };
    context.handed_off = true;
    MHD_suspend_connection(connection);
    bool queued = false;
    try {
        queued = server.slow_pool().try_submit(std::move(job));
    } catch (...) {
        queued = false;
    }
    if (!queued) {
        context.response = busy_response(server);
        context.response_ready = true;
        MHD_resume_connection(connection);
    }
    return MHD_YES;
}

MHD_Result handle_request(HttpServer& server, MHD_Connection* connection, const char* url,
                          const char* method, const char* upload_data, size_t* upload_size,
                          void** slot) {
    auto* context = static_cast<RequestContext*>(*slot);
    if (context == nullptr) {
        context = start_request(server, connection, url, method);
        if (context == nullptr)
            return MHD_NO;
        context->strict_transport = server.strict_transport();
        *slot = context;
        // A Content-Length over the limit is answered before any of the body is read.
        if (context->too_large)
            return send(connection, *context, payload_too_large(*context));
        if (context->refused)
            return send(connection, *context, *context->refused);
        if (context->not_multipart)
            return send(connection, *context, not_multipart());
        return MHD_YES; // the next call brings the body, or its end
    }
    if (context->handed_off) {
        context->handed_off = false; // resumed: the slow job left its answer
        return send(connection, *context, context->response);
    }
    if (*upload_size > 0 && context->spool &&
        std::chrono::steady_clock::now() - context->started > server.options().upload_timeout) {
        // A trickle that would hold its spool and its admission for ever: no answer can be
        // read mid-body, so the connection is closed (on_completed deletes the spool).
        LOG_WARN("httpd", "%s %s from %s: upload still incomplete after %llds; dropped",
                 context->request.method.c_str(), context->request.path.c_str(),
                 context->request.client_address.c_str(),
                 static_cast<long long>(server.options().upload_timeout.count()));
        context->spool.reset();
        context->admission.reset();
        return MHD_NO;
    }
    if (*upload_size > 0) {
        // Past the limit the rest is read and dropped: answering mid-upload is not possible
        // for a chunked body, and the client should see the 413, not a reset connection.
        context->body_seen += *upload_size;
        if (context->body_seen > context->body_limit)
            context->too_large = true;
        else if (context->spool)
            context->spool->feed(upload_data, *upload_size); // a failure is answered at the end
        else
            context->request.body.append(upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (context->too_large)
        return send(connection, *context, payload_too_large(*context));
    if (context->spool) {
        if (!context->spool->finish()) {
            int status = context->spool->error_status();
            return send(connection, *context,
                        error_response(status,
                                       status == 500   ? "internal"
                                       : status == 507 ? "insufficient_storage"
                                       : status == 413 ? "payload_too_large"
                                                       : "bad_upload",
                                       context->spool->error()));
        }
        context->spool->hand_over(context->request);
    }
    if (server.stopping())
        return send(connection, *context, busy_response(server));
    return dispatch(server, connection, *context);
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char* upload_data, size_t* upload_size, void** slot) {
    try {
        return handle_request(*static_cast<HttpServer*>(cls), connection, url, method, upload_data,
                              upload_size, slot);
    } catch (...) { // nothing may unwind into libmicrohttpd
        LOG_ERROR("httpd", "request handling failed; closing the connection");
        return MHD_NO;
    }
}

void log_completed(HttpServer& server, const RequestContext& context,
                   MHD_RequestTerminationCode code) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - context.started).count();
    server.metrics().record(context.route, context.request.method, context.status, seconds);
    const Request& request = context.request;
    std::string via = request.peer_address == request.client_address || request.peer_address.empty()
                          ? std::string()
                          : " via " + request.peer_address;
    LOG_INFO("http", "%s%s \"%s %s\" %d %.1fms%s", request.client_address.c_str(), via.c_str(),
             request.method.c_str(), request.path.c_str(), context.status, seconds * 1000,
             code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
}

size_t unescape(void*, MHD_Connection*, char* text) {
    return percent_decode_in_place(text);
}

void on_completed(void* cls, MHD_Connection*, void** slot,
                  MHD_RequestTerminationCode code) noexcept {
    auto& server = *static_cast<HttpServer*>(cls);
    std::unique_ptr<RequestContext> context(static_cast<RequestContext*>(*slot));
    *slot = nullptr;
    if (!context)
        return;
    server.in_flight().fetch_sub(1);
    try {
        log_completed(server, *context, code);
    } catch (...) {
        // metrics and the log line are best effort; the request itself is over
    }
}

} // namespace

void HttpServer::StopDaemon::operator()(MHD_Daemon* daemon) const {
    MHD_stop_daemon(daemon);
}

HttpServer::HttpServer(ServerOptions options, const Router& router, Metrics& metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics),
      slow_pool_(std::make_unique<SlowPool>(options_.slow_workers, options_.slow_queue)) {
    ListenAddress listen = parse_listen_address(options_.bind, options_.port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (listen.ipv6)
        flags |= MHD_USE_IPv6;
    auto start = [&](unsigned extra_flags, auto... extra_options) {
        return MHD_start_daemon(
            flags | extra_flags, options_.port, nullptr, nullptr, &on_request, this,
            MHD_OPTION_SOCK_ADDR, &listen.address, MHD_OPTION_THREAD_POOL_SIZE, options_.threads,
            MHD_OPTION_NOTIFY_COMPLETED, &on_completed, this, MHD_OPTION_CONNECTION_TIMEOUT,
            connection_idle_timeout_s, MHD_OPTION_UNESCAPE_CALLBACK, &unescape, nullptr,
            extra_options..., MHD_OPTION_END);
    };
    if (options_.tls != nullptr) {
        if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES)
            throw std::runtime_error("this libmicrohttpd has no TLS certificate callback");
        // The certificate is asked for at each handshake, so a reload needs no restart. TLS 1.2
        // and 1.3 only, like the broker's listener (tls_version tlsv1.2).
        daemon_.reset(start(MHD_USE_TLS, MHD_OPTION_HTTPS_CERT_CALLBACK, TlsCredentials::callback(),
                            MHD_OPTION_HTTPS_PRIORITIES,
                            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"));
        if (options_.hsts_max_age > 0)
            strict_transport_ = "max-age=" + std::to_string(options_.hsts_max_age);
    } else {
        daemon_.reset(start(0u));
    }
    if (!daemon_)
        throw std::runtime_error("cannot listen on " + options_.bind + ":" +
                                 std::to_string(options_.port));
    if (options_.proxy_protocol_port)
        proxy_listener_ = std::make_unique<ProxyListener>(
            options_.bind, *options_.proxy_protocol_port, options_.trusted_proxies, daemon_.get());
}

std::uint16_t HttpServer::proxy_protocol_port() const {
    return proxy_listener_ ? proxy_listener_->port() : 0;
}

HttpServer::~HttpServer() {
    // New requests on open keep-alive connections get 503 shutting_down from here on.
    stopping_.store(true);
    proxy_listener_.reset(); // no new connections through the PROXY listener either
    // Stop accepting. libmicrohttpd's own threads may still touch the listening socket, so it
    // is closed only after MHD_stop_daemon.
    MHD_socket listener = MHD_quiesce_daemon(daemon_.get());
    // Open event streams never end by themselves; ended here, they leave the drain below.
    if (stop_hook_) {
        try {
            stop_hook_();
        } catch (...) {
            LOG_ERROR("httpd", "ending open streams failed");
        }
    }
    auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (in_flight_.load() > 0)
        LOG_WARN("httpd", "%ld requests still open after the drain timeout; closing them",
                 in_flight_.load());
    // Every queued slow job runs and resumes its connection before the daemon stops (stopping
    // with a suspended connection is a libmicrohttpd panic); a slow request arriving after
    // this gets 503 at once.
    slow_pool_->close();
    daemon_.reset();
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
}

std::uint16_t HttpServer::port() const {
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_.get(), MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : options_.port;
}

} // namespace sarang::http
