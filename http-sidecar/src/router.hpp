#pragma once
// One table of routes: method + path pattern -> handler. A pattern is a path whose segments may
// be {name} placeholders (one segment each). Paths match with or without a trailing slash (the
// seeds' Django paths end in one). An unknown path is 404; a known path with another method is
// 405 with an Allow header.
//
// A route runs on one of two lanes: `quick` handlers (a query or two) run on the HTTP polling
// thread; `slow` handlers (argon2id, later image work) run on the bounded SlowPool so that a
// burst of them never delays the quick ones.
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
    std::string client_address;
    std::map<std::string, std::string> headers; // names lower-cased
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params; // from {placeholders}, filled by the router
    // Upload routes only: the form's plain fields and its files; `body` stays empty.
    std::map<std::string, std::string> form;
    std::vector<UploadedFile> files;

    // nullptr when absent; `name` lower-case.
    const std::string* header(std::string_view name) const;
    const std::string* param(std::string_view name) const;
};

using Handler = std::function<Response(const Request&)>;

// What an upload route's admit check hands out: held until the request ends (answered, failed
// or dropped), so a limit on concurrent uploads frees its place in the destructor. May be null.
using Admission = std::shared_ptr<void>;
using AdmitCheck = std::function<Admission(const Request&)>;

enum class Lane { quick, slow };

struct Route {
    std::string method;
    std::string pattern; // stored without a trailing slash
    Handler handler;
    Lane lane = Lane::quick;
    // Upload routes: a multipart/form-data body up to max_body_bytes, its files streamed to
    // disk as they arrive instead of collected in memory. 0: the server's limit, body in memory.
    std::size_t max_body_bytes = 0;
    bool multipart = false;
    // Upload routes: checks the headers before any of the body is read (who is sending), so a
    // refused client never makes the server spool its upload. Refuses by throwing HttpError;
    // what it returns is kept until the request ends.
    AdmitCheck admit;
};

class Router {
  public:
    void add(std::string method, std::string pattern, Handler handler, Lane lane = Lane::quick);
    // A multipart/form-data route with its own body limit; it runs on the slow lane. `admit`
    // (optional) sees the headers first; see Route::admit.
    void add_upload(std::string method, std::string pattern, Handler handler,
                    std::size_t max_body_bytes, AdmitCheck admit = nullptr);

    struct Match {
        const Route* route = nullptr; // nullptr: `error` says why (404 or 405)
        std::map<std::string, std::string> params;
        Response error;
    };
    Match match(std::string_view method, std::string_view path) const;

    // match() + run the handler with the params filled in.
    Response dispatch(Request request) const;

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

    std::vector<Route> routes_;
    std::optional<Route> fallback_;
};

} // namespace sarang::http
