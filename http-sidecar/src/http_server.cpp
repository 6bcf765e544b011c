#include "http_server.hpp"

#include "db_pool.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdexcept>

namespace sarang::http {
namespace {

struct RequestContext {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    Request request;
    bool too_large = false;
    int status = 0;
};

struct DestroyResponse {
    void operator()(MHD_Response* response) const { MHD_destroy_response(response); }
};

Response run_handler(const Router& router, const Request& request) {
    try {
        return router.dispatch(request);
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
    }
    return error_response(500, "internal", "internal error; see the server log");
}

MHD_Result send(MHD_Connection* connection, RequestContext& context, const Response& response) {
    std::unique_ptr<MHD_Response, DestroyResponse> reply(MHD_create_response_from_buffer(
        response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY));
    if (!reply)
        return MHD_NO;
    MHD_add_response_header(reply.get(), MHD_HTTP_HEADER_CONTENT_TYPE,
                            response.content_type.c_str());
    MHD_add_response_header(reply.get(), "Cache-Control", "no-store");
    MHD_add_response_header(reply.get(), "X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers)
        MHD_add_response_header(reply.get(), name.c_str(), value.c_str());
    context.status = response.status;
    return MHD_queue_response(connection, static_cast<unsigned>(response.status), reply.get());
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char* upload_data, size_t* upload_size, void** slot) {
    auto& server = *static_cast<HttpServer*>(cls);
    auto* context = static_cast<RequestContext*>(*slot);
    if (context == nullptr) {
        context = new (std::nothrow) RequestContext();
        if (context == nullptr)
            return MHD_NO;
        context->request.method = method;
        context->request.path = url;
        *slot = context;
        const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length != nullptr &&
            std::strtoull(length, nullptr, 10) > server.options().max_body_bytes)
            context->too_large = true;
        else
            return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!context->too_large &&
            context->request.body.size() + *upload_size <= server.options().max_body_bytes)
            context->request.body.append(upload_data, *upload_size);
        else
            context->too_large = true;
        *upload_size = 0;
        if (!context->too_large)
            return MHD_YES;
    }
    if (context->too_large)
        return send(connection, *context,
                    error_response(413, "payload_too_large",
                                   "request body is larger than " +
                                       std::to_string(server.options().max_body_bytes) + " bytes"));
    return send(connection, *context, run_handler(server.router(), context->request));
}

void on_completed(void*, MHD_Connection* connection, void** slot, MHD_RequestTerminationCode code) {
    std::unique_ptr<RequestContext> context(static_cast<RequestContext*>(*slot));
    *slot = nullptr;
    if (!context)
        return;
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
    double millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              context->started)
                        .count();
    LOG_INFO("http", "%s \"%s %s\" %d %.1fms%s", address, context->request.method.c_str(),
             context->request.path.c_str(), context->status, millis,
             code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
}

} // namespace

void HttpServer::StopDaemon::operator()(MHD_Daemon* daemon) const {
    MHD_stop_daemon(daemon);
}

HttpServer::HttpServer(ServerOptions options, const Router& router)
    : options_(std::move(options)), router_(router) {
    sockaddr_storage address{};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (options_.bind.find(':') != std::string::npos) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(options_.port);
        if (inet_pton(AF_INET6, options_.bind.c_str(), &v6->sin6_addr) != 1)
            throw std::runtime_error("http.bind is not an IP address: " + options_.bind);
        flags |= MHD_USE_IPv6;
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(options_.port);
        if (inet_pton(AF_INET, options_.bind.c_str(), &v4->sin_addr) != 1)
            throw std::runtime_error("http.bind is not an IP address: " + options_.bind);
    }
    daemon_.reset(MHD_start_daemon(flags, options_.port, nullptr, nullptr, &on_request, this,
                                   MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_THREAD_POOL_SIZE,
                                   options_.threads, MHD_OPTION_NOTIFY_COMPLETED, &on_completed,
                                   nullptr, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END));
    if (!daemon_)
        throw std::runtime_error("cannot listen on " + options_.bind + ":" +
                                 std::to_string(options_.port));
}

HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::port() const {
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_.get(), MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : options_.port;
}

} // namespace sarang::http
