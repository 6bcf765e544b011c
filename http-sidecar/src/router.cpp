#include "router.hpp"

namespace sarang::http {
namespace {

std::string_view without_trailing_slash(std::string_view path) {
    if (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    return path;
}

} // namespace

void Router::add(std::string method, std::string path, Handler handler) {
    routes_.push_back(
        {std::move(method), std::string(without_trailing_slash(path)), std::move(handler)});
}

Response Router::dispatch(const Request& request) const {
    std::string_view path = without_trailing_slash(request.path);
    std::string allowed;
    for (const Route& route : routes_) {
        if (route.path != path)
            continue;
        if (route.method == request.method || (request.method == "HEAD" && route.method == "GET"))
            return route.handler(request);
        allowed += allowed.empty() ? route.method : ", " + route.method;
    }
    if (allowed.empty())
        return error_response(404, "not_found", "no such resource: " + request.path);
    Response response = error_response(405, "method_not_allowed",
                                       request.method + " is not allowed here; use " + allowed);
    response.headers.emplace_back("Allow", allowed);
    return response;
}

std::string_view Router::route_of(const Request& request) const {
    std::string_view path = without_trailing_slash(request.path);
    for (const Route& route : routes_) {
        if (route.path == path)
            return route.path;
    }
    return "unmatched";
}

} // namespace sarang::http
