#pragma once
// The dashboard's built files (http.web_dir) served at /: GET and HEAD of a regular file below
// the folder, found one path segment at a time with openat(O_NOFOLLOW), so neither "..", nor a
// symlink (inside or out), nor a directory listing is ever served. Unknown types and every
// refusal answer the same 404. Every answer carries the Content-Security-Policy.
#include "router.hpp"

#include <string>

namespace sarang::http {

class StaticSite {
  public:
    // Opens the folder once; throws std::runtime_error when it cannot (a configured folder that
    // is missing is a deployment mistake worth stopping for).
    explicit StaticSite(const std::string& dir);
    ~StaticSite();
    StaticSite(const StaticSite&) = delete;
    StaticSite& operator=(const StaticSite&) = delete;

    Response serve(const Request& request) const;

  private:
    int dir_fd_ = -1;
};

} // namespace sarang::http
