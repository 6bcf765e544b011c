#pragma once
// Just enough HTTP/1.1 for tests: one request per connection, whole response read.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sarang::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
    int status = 0; // 0: no response
    std::string body;
    std::map<std::string, std::string> headers; // names lower-cased
    std::string header(const std::string& lower_case_name) const;
};

// A non-empty body is sent as application/json unless `headers` names a Content-Type.
HttpResult http_request(int port, const std::string& method, const std::string& path,
                        const std::string& body = "", const HttpHeaders& headers = {});

// Status and headers of a response head (the text before the blank line) into `result`;
// leaves result.status 0 when it is not an HTTP/1.x status line.
void parse_response_head(const std::string& head, HttpResult& result);

// {"Authorization": "Bearer <token>"}
HttpHeaders bearer(const std::string& token);

} // namespace sarang::test
