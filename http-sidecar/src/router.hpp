#pragma once
// One table of routes: method + path -> handler. Paths match exactly, with or without a
// trailing slash (the seeds' Django paths end in one). An unknown path is 404; a known path with
// another method is 405 with an Allow header.
#include "response.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::http {

struct Request {
    std::string method;
    std::string path;
    std::string body;
};

using Handler = std::function<Response(const Request&)>;

class Router {
  public:
    void add(std::string method, std::string path, Handler handler);
    Response dispatch(const Request& request) const;
    // The route pattern a request matched, for metrics and logs; "unmatched" otherwise.
    std::string_view route_of(const Request& request) const;

  private:
    struct Route {
        std::string method;
        std::string path; // stored without a trailing slash
        Handler handler;
    };
    std::vector<Route> routes_;
};

} // namespace sarang::http
