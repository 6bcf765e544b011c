#pragma once
// Outgoing HTTP through libcurl, behind RAII: one call per request, a total timeout, no
// signals (curl runs on worker threads), no redirects followed (a notification target that
// redirects is a misconfiguration, not something to chase).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sarang::http::out {

struct Reply {
    long status = 0; // 0: no HTTP answer (connection refused, timeout, ...)
    std::string body;
    std::string error; // libcurl's message when status is 0
    bool timed_out = false;
    // False when nothing of the request reached the server (no connection): only then is a
    // retry sure not to repeat it.
    bool request_sent = false;
};

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body; // sent as is (set Content-Type in headers)
    // multipart/form-data fields (name, value); used instead of body when not empty
    std::vector<std::pair<std::string, std::string>> form;
    std::string basic_user, basic_password; // HTTP Basic when basic_user is set
    std::chrono::milliseconds timeout{10000};
    // Refuse to connect to loopback, private, link-local and unspecified addresses, checked on
    // the address actually connected to (a name that resolves inward is caught too). For URLs
    // that users choose (webhooks): no reaching services behind the server.
    bool public_addresses_only = false;
};

Reply perform(const Request& request);

// Once per process, before any thread uses perform().
void global_init();

} // namespace sarang::http::out
