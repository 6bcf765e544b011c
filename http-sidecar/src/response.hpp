#pragma once
// What a handler returns. Errors share one shape everywhere: {"error": "...", "code": "..."}.
#include "sarang/json.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sarang::http {

class StreamBody;

// An open file sent as the body (stored photos): the server hands a duplicate of the descriptor
// to libmicrohttpd, so this one closes with the last Response holding it.
struct FileBody {
    int fd = -1;
    std::uint64_t size = 0;
    FileBody(int fd_, std::uint64_t size_) : fd(fd_), size(size_) {}
    ~FileBody();
    FileBody(const FileBody&) = delete;
    FileBody& operator=(const FileBody&) = delete;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // Set: the body is this stream, sent as it grows, and `body` is ignored (event streams).
    std::shared_ptr<StreamBody> stream;
    // Set: the body is this file, and `body` is ignored.
    std::shared_ptr<FileBody> file;
};

Response json_response(int status, const json_t* body);
// code: a stable machine-readable word ("not_found", "method_not_allowed", ...).
Response error_response(int status, std::string_view code, std::string_view message);
// The error object alone, for answers that add fields to it (422's field, 429's lockoutUntil).
json::Ptr error_object(std::string_view code, std::string_view message);

} // namespace sarang::http
