#pragma once
// Just enough HTTP/1.1 for tests: one request per connection, whole response read.
#include <string>

namespace sarang::test {

struct HttpResult {
    int status = 0; // 0: no response
    std::string body;
};

HttpResult http_request(int port, const std::string& method, const std::string& path,
                        const std::string& body = "");

} // namespace sarang::test
