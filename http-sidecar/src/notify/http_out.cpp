#include "http_out.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <memory>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

namespace sarang::http::out {
namespace {

struct EasyCleanup {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListCleanup {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct MimeCleanup {
    void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};

size_t collect(char* data, size_t size, size_t count, void* into) {
    auto& body = *static_cast<std::string*>(into);
    // Answers we read are small JSON; cap what a misbehaving server can make us hold.
    constexpr size_t limit = 1 << 20;
    size_t bytes = size * count;
    if (body.size() + bytes > limit)
        return 0; // aborts the transfer
    body.append(data, bytes);
    return bytes;
}

bool inward(const sockaddr* address) {
    if (address->sa_family == AF_INET) {
        uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
        auto in = [ip](uint32_t net, int bits) {
            return (ip >> (32 - bits)) == (net >> (32 - bits));
        };
        return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
               in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) ||
               in(0xC0000000, 24) || in(0xC6120000, 15) || in(0xE0000000, 4) || in(0xF0000000, 4);
    }
    if (address->sa_family == AF_INET6) {
        const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&ip) || IN6_IS_ADDR_UNSPECIFIED(&ip) ||
               IN6_IS_ADDR_LINKLOCAL(&ip) || IN6_IS_ADDR_V4MAPPED(&ip) ||
               IN6_IS_ADDR_V4COMPAT(&ip) || IN6_IS_ADDR_SITELOCAL(&ip) ||
               IN6_IS_ADDR_MULTICAST(&ip) || (ip.s6_addr[0] & 0xFE) == 0xFC || // fc00::/7
               (ip.s6_addr[0] == 0x20 && ip.s6_addr[1] == 0x02) ||             // 6to4
               (ip.s6_addr[0] == 0x00 && ip.s6_addr[1] == 0x64 && ip.s6_addr[2] == 0xff &&
                ip.s6_addr[3] == 0x9b); // NAT64
    }
    return true;
}

curl_socket_t open_public_only(void*, curlsocktype, curl_sockaddr* address) {
    if (inward(&address->addr))
        return CURL_SOCKET_BAD; // the transfer fails with "couldn't connect"
    return socket(address->family, address->socktype, address->protocol);
}

} // namespace

void global_init() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        throw std::runtime_error("curl_global_init failed");
}

Reply perform(const Request& request) {
    Reply reply;
    std::unique_ptr<curl_mime, MimeCleanup> mime; // freed after the easy handle that uses it
    std::unique_ptr<CURL, EasyCleanup> easy(curl_easy_init());
    if (!easy) {
        reply.error = "curl_easy_init failed";
        return reply;
    }
    CURL* handle = easy.get();
    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<long long>(request.timeout.count(), 5000)));
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "sarang-httpd");
    // No proxy from the environment: it would see our credentials, and the address check below
    // would see the proxy instead of the target.
    curl_easy_setopt(handle, CURLOPT_PROXY, "");
    if (request.public_addresses_only)
        curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, &open_public_only);

    std::unique_ptr<curl_slist, ListCleanup> headers;
    for (const auto& [name, value] : request.headers) {
        curl_slist* grown = curl_slist_append(headers.get(), (name + ": " + value).c_str());
        if (grown == nullptr) {
            reply.error = "out of memory";
            return reply;
        }
        headers.release();
        headers.reset(grown);
    }
    if (headers)
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    if (!request.basic_user.empty()) {
        curl_easy_setopt(handle, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(handle, CURLOPT_USERNAME, request.basic_user.c_str());
        curl_easy_setopt(handle, CURLOPT_PASSWORD, request.basic_password.c_str());
    }
    if (!request.form.empty()) {
        mime.reset(curl_mime_init(handle));
        for (const auto& [name, value] : request.form) {
            curl_mimepart* part = curl_mime_addpart(mime.get());
            curl_mime_name(part, name.c_str());
            curl_mime_data(part, value.data(), value.size());
        }
        curl_easy_setopt(handle, CURLOPT_MIMEPOST, mime.get());
    } else if (request.method == "POST") {
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    if (request.method != "GET" && request.method != "POST")
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());

    CURLcode code = curl_easy_perform(handle);
    long request_size = 0;
    curl_easy_getinfo(handle, CURLINFO_REQUEST_SIZE, &request_size);
    reply.request_sent = request_size > 0;
    if (code != CURLE_OK) {
        reply.error = curl_easy_strerror(code);
        reply.timed_out = code == CURLE_OPERATION_TIMEDOUT;
        return reply;
    }
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

} // namespace sarang::http::out
