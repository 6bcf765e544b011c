#pragma once
// One table of routes: method + path pattern -> handler. A pattern is a path whose segments may
// be {name} placeholders (one segment each). Paths match with or without a trailing slash (the
// seeds' Django paths end in one). An unknown path is 404; a known path with another method is
// 405 with an Allow header.
//
// A route runs on one of two lanes: `quick` handlers (a query or two) run on the HTTP polling
// thread; `slow` handlers (argon2id, later image work) run on the bounded SlowPool so that a
// burst of them never delays the quick ones.
//
// Every route has an access rule (access.hpp), enforced by run() and admit() through the
// Authenticator the daemon installs before serving.
#include "access.hpp"
#include "auth/identity.hpp"
#include "response.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::http {

// One file part of a multipart/form-data body, spooled to disk by the server (see
// Router::add_upload); the file is removed when the request ends.
struct UploadedFile {
    std::string field;
    std::string filename;
    std::string content_type;
    std::string path; // the spooled bytes
    std::uint64_t size = 0;
};

struct Request {
    std::string method;
    std::string path;
    std::string body;
    // The client as http.trusted_proxies allows it to be known (net/client_address.hpp): the
    // TCP peer, or the address a trusted proxy forwarded. Every throttle, audit row and log line
    // uses this one.
    std::string client_address;
    std::string peer_address; // the TCP peer itself
    bool https = false;       // TLS here, or a trusted proxy says the client used HTTPS
    std::map<std::string, std::string> headers; // names lower-cased
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params; // from {placeholders}, filled by the router
    // Upload routes only: the form's plain fields and its files; `body` stays empty.
    std::map<std::string, std::string> form;
    std::vector<UploadedFile> files;
    // Filled by the router from the route's access rule before the handler runs.
    std::optional<UserCaller> user_caller;
    std::optional<DeviceCaller> device_caller;
    std::optional<VisibleDevice> target_device; // Access::device_owner: device {id}

    // nullptr when absent; `name` lower-case.
    const std::string* header(std::string_view name) const;
    const std::string* param(std::string_view name) const;
    // The authenticated caller; a route whose rule does not provide it is a programming error
    // (std::logic_error, a 500).
    const UserCaller& user() const;
    const DeviceCaller& device() const;
    const VisibleDevice& target() const;
};

using Handler = std::function<Response(const Request&)>;

// Checks `access` for `request` and fills in its caller, or refuses by throwing HttpError
// (401, 403, 404 as the rule says). Installed by the daemon (auth/route_access.hpp); unit
// tests install fakes.
using Authenticator = std::function<void(const Access& access, Request& request)>;

// What an upload route's admit check hands out: held until the request ends (answered, failed
// or dropped), so a limit on concurrent uploads frees its place in the destructor. May be null.
using Admission = std::shared_ptr<void>;
using AdmitCheck = std::function<Admission(const Request&)>;

enum class Lane { quick, slow };

struct Route {
    std::string method;
    std::string pattern; // stored without a trailing slash
    Access access;
    Handler handler;
    Lane lane = Lane::quick;
    // Upload routes: a multipart/form-data body up to max_body_bytes, its files streamed to
    // disk as they arrive instead of collected in memory. 0: the server's limit, body in memory.
    std::size_t max_body_bytes = 0;
    bool multipart = false;
    // Upload routes: checks the headers before any of the body is read, after the access rule
    // (the request it sees carries the caller), so a refused client never makes the server
    // spool its upload. Refuses by throwing HttpError; what it returns is kept until the
    // request ends.
    AdmitCheck admit;
};

class Router {
  public:
    // `access` has no default: a route without a rule does not compile.
    void add(std::string method, std::string pattern, Access access, Handler handler,
             Lane lane = Lane::quick);
    // A multipart/form-data route with its own body limit; it runs on the slow lane. Its access
    // rule and `admit` (optional) see the headers first; see Route::admit.
    void add_upload(std::string method, std::string pattern, Access access, Handler handler,
                    std::size_t max_body_bytes, AdmitCheck admit = nullptr);

    void set_authenticator(Authenticator authenticator);

    struct Match {
        const Route* route = nullptr; // nullptr: `error` says why (404 or 405)
        std::map<std::string, std::string> params;
        Response error;
    };
    Match match(std::string_view method, std::string_view path) const;

    // match() + run() with the params filled in.
    Response dispatch(Request request) const;

    // The route's access rule, then its handler. `request` gets the caller. Without an
    // authenticator only Access::anyone routes run (the others answer 500): a daemon that
    // forgot to install one fails closed.
    Response run(const Route& route, Request& request) const;

    // Upload routes, before the body: the access rule, then Route::admit, on a copy of
    // `request` with `params`. Refuses by throwing HttpError; returns Route::admit's admission
    // (null without one), to be held until the request ends.
    Admission admit(const Route& route, const Request& request,
                    const std::map<std::string, std::string>& params) const;

    // The pattern a request matched, for metrics and logs; "unmatched" otherwise.
    std::string_view route_of(std::string_view method, std::string_view path) const;

    // GET and HEAD requests that no route matches and whose path is outside /api go here (the
    // dashboard's static files), so every route keeps priority and API clients keep JSON 404s.
    // route_of() names it FALLBACK_PATTERN.
    void set_fallback(Handler handler);
    static constexpr std::string_view FALLBACK_PATTERN = "/{static}";

    const std::vector<Route>& routes() const { return routes_; }

  private:
    bool may_fall_back(std::string_view method, std::string_view path) const;

    void authenticate(const Route& route, Request& request) const;

    std::vector<Route> routes_;
    std::optional<Route> fallback_;
    Authenticator authenticator_;
};

// docs/http-api.md's access table: "| `METHOD pattern` | who may call it |" per route, in
// registration order (`sarang-httpd --print-access`; route_access_test compares the doc).
std::string access_table(const Router& router);

} // namespace sarang::http
