#include "router.hpp"

#include "http_error.hpp"

#include <stdexcept>

namespace sarang::http {
namespace {

std::string_view without_trailing_slash(std::string_view path) {
    if (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    return path;
}

std::string_view next_segment(std::string_view& rest) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    return segment;
}

// Fills `params` only on a match.
bool pattern_matches(std::string_view pattern, std::string_view path,
                     std::map<std::string, std::string>& params) {
    if (pattern.find('{') == std::string_view::npos)
        return pattern == path;
    std::map<std::string, std::string> found;
    while (!pattern.empty() || !path.empty()) {
        if (pattern.empty() || path.empty())
            return false;
        std::string_view want = next_segment(pattern);
        std::string_view have = next_segment(path);
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            if (have.empty())
                return false;
            found.emplace(want.substr(1, want.size() - 2), have);
        } else if (want != have) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

const std::string* lookup(const std::map<std::string, std::string>& map, std::string_view key) {
    auto found = map.find(std::string(key));
    return found == map.end() ? nullptr : &found->second;
}

} // namespace

const std::string* Request::header(std::string_view name) const {
    return lookup(headers, name);
}

const std::string* Request::param(std::string_view name) const {
    return lookup(params, name);
}

namespace {
template <typename T> const T& present(const std::optional<T>& value, const char* what) {
    if (!value)
        throw std::logic_error(std::string("the route's access rule provides no ") + what);
    return *value;
}
} // namespace

const UserCaller& Request::user() const {
    return present(user_caller, "user");
}

const DeviceCaller& Request::device() const {
    return present(device_caller, "device");
}

const VisibleDevice& Request::target() const {
    return present(target_device, "target device");
}

void Router::add(std::string method, std::string pattern, Access access, Handler handler,
                 Lane lane) {
    routes_.push_back({std::move(method), std::string(without_trailing_slash(pattern)), access,
                       std::move(handler), lane, 0, false, nullptr});
}

void Router::add_upload(std::string method, std::string pattern, Access access, Handler handler,
                        std::size_t max_body_bytes, AdmitCheck admit) {
    add(std::move(method), std::move(pattern), access, std::move(handler), Lane::slow);
    routes_.back().max_body_bytes = max_body_bytes;
    routes_.back().multipart = true;
    routes_.back().admit = std::move(admit);
}

void Router::set_fallback(Handler handler) {
    fallback_ = Route{"GET",
                      std::string(FALLBACK_PATTERN),
                      Access::anyone("the dashboard's static files"),
                      std::move(handler),
                      Lane::quick,
                      0,
                      false,
                      nullptr};
}

void Router::set_authenticator(Authenticator authenticator) {
    authenticator_ = std::move(authenticator);
}

void Router::authenticate(const Route& route, Request& request) const {
    if (route.access.kind() == AccessKind::anyone)
        return;
    if (!authenticator_)
        throw std::logic_error("route " + route.pattern +
                               " has an access rule but the router "
                               "has no authenticator");
    authenticator_(route.access, request);
}

Response Router::run(const Route& route, Request& request) const {
    authenticate(route, request);
    return route.handler(request);
}

Admission Router::admit(const Route& route, const Request& request,
                        const std::map<std::string, std::string>& params) const {
    Request checked = request;
    checked.params = params;
    authenticate(route, checked);
    return route.admit ? route.admit(checked) : nullptr;
}

bool Router::may_fall_back(std::string_view method, std::string_view path) const {
    if (!fallback_ || (method != "GET" && method != "HEAD"))
        return false;
    return path != "/api" && !path.starts_with("/api/");
}

Router::Match Router::match(std::string_view method, std::string_view raw_path) const {
    std::string_view path = without_trailing_slash(raw_path);
    Match result;
    std::string allowed;
    for (const Route& route : routes_) {
        std::map<std::string, std::string> params;
        if (!pattern_matches(route.pattern, path, params))
            continue;
        if (route.method == method || (method == "HEAD" && route.method == "GET")) {
            result.route = &route;
            result.params = std::move(params);
            return result;
        }
        allowed += allowed.empty() ? route.method : ", " + route.method;
    }
    if (allowed.empty() && may_fall_back(method, raw_path)) {
        result.route = &*fallback_;
        return result;
    }
    if (allowed.empty()) {
        result.error =
            error_response(404, "not_found", "no such resource: " + std::string(raw_path));
        return result;
    }
    result.error = error_response(405, "method_not_allowed",
                                  std::string(method) + " is not allowed here; use " + allowed);
    result.error.headers.emplace_back("Allow", allowed);
    return result;
}

Response Router::dispatch(Request request) const {
    Match found = match(request.method, request.path);
    if (found.route == nullptr)
        return std::move(found.error);
    request.params = std::move(found.params);
    try {
        return run(*found.route, request);
    } catch (const HttpError& refused) {
        return refused.response();
    }
}

std::string access_table(const Router& router) {
    std::string table = "| route | who may call it |\n|---|---|\n";
    for (const Route& route : router.routes())
        table +=
            "| `" + route.method + " " + route.pattern + "` | " + describe(route.access) + " |\n";
    return table;
}

std::string_view Router::route_of(std::string_view method, std::string_view path) const {
    Match found = match(method, path);
    return found.route ? std::string_view(found.route->pattern) : std::string_view("unmatched");
}

} // namespace sarang::http
