#include "redirect_server.hpp"

#include "listen_address.hpp"

#include <cstdlib>
#include <cstring>
#include <microhttpd.h>
#include <stdexcept>

namespace sarang::http {
namespace {

// libmicrohttpd hands the handler the path without the query; the request target as sent
// comes from the URI log callback, kept as the request's slot until it completes.
void* keep_target(void*, const char* uri, MHD_Connection*) {
    return strdup(uri != nullptr ? uri : "/");
}

void free_target(void*, MHD_Connection*, void** slot, MHD_RequestTerminationCode) {
    std::free(*slot);
    *slot = nullptr;
}

MHD_Result answer(MHD_Connection* connection, unsigned status, const char* body,
                  const std::string& location) {
    MHD_Response* reply = MHD_create_response_from_buffer(
        std::strlen(body), const_cast<char*>(body), MHD_RESPMEM_PERSISTENT);
    if (reply == nullptr)
        return MHD_NO;
    MHD_add_response_header(reply, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(reply, "Cache-Control", "no-store");
    if (!location.empty())
        MHD_add_response_header(reply, MHD_HTTP_HEADER_LOCATION, location.c_str());
    MHD_Result queued = MHD_queue_response(connection, status, reply);
    MHD_destroy_response(reply);
    return queued;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char*, const char*, const char*,
                      const char*, size_t* upload_size, void** slot) noexcept {
    try {
        // A body, if any, is never read: the answer goes out with the headers.
        *upload_size = 0;
        const auto& server = *static_cast<const RedirectServer*>(cls);
        const char* host =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        const char* target = *slot != nullptr ? static_cast<const char*>(*slot) : "/";
        std::string location =
            redirect_location(server.public_url(), host ? host : "", server.https_port(), target);
        if (location.empty())
            return answer(connection, MHD_HTTP_BAD_REQUEST,
                          "This address serves HTTPS only; the Host header is missing or bad.\n",
                          "");
        return answer(connection, MHD_HTTP_PERMANENT_REDIRECT, "This address serves HTTPS only.\n",
                      location);
    } catch (...) {
        return MHD_NO;
    }
}

} // namespace

void RedirectServer::StopDaemon::operator()(MHD_Daemon* daemon) const {
    MHD_stop_daemon(daemon);
}

RedirectServer::RedirectServer(const std::string& bind, std::uint16_t port, std::string public_url,
                               std::uint16_t https_port)
    : public_url_(std::move(public_url)), https_port_(https_port), port_(port) {
    ListenAddress listen = parse_listen_address(bind, port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (listen.ipv6)
        flags |= MHD_USE_IPv6;
    daemon_.reset(MHD_start_daemon(
        flags, port, nullptr, nullptr, &on_request, this, MHD_OPTION_SOCK_ADDR, &listen.address,
        MHD_OPTION_URI_LOG_CALLBACK, &keep_target, nullptr, MHD_OPTION_NOTIFY_COMPLETED,
        &free_target, nullptr, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END));
    if (!daemon_)
        throw std::runtime_error("cannot listen on " + bind + ":" + std::to_string(port) +
                                 " (http.redirect_port)");
}

RedirectServer::~RedirectServer() = default;

std::uint16_t RedirectServer::port() const {
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_.get(), MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : port_;
}

} // namespace sarang::http
