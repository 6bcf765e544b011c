#include "response.hpp"

#include "text_encoding.hpp"

#include <unistd.h>

namespace sarang::http {

FileBody::~FileBody() {
    if (fd >= 0)
        close(fd);
}

Response json_response(int status, const json_t* body) {
    Response response;
    response.status = status;
    response.body = json::dump(body);
    return response;
}

json::Ptr error_object(std::string_view code, std::string_view message) {
    json::Ptr body = json::own(json_object());
    // jansson refuses a string that is not UTF-8: a message quoting a client's bytes would
    // otherwise turn a 4xx into a 500.
    std::string text = utf8_or_replaced(message);
    json::set(body.get(), "error", json::own(json_stringn(text.data(), text.size())));
    json::set(body.get(), "code", json::own(json_stringn(code.data(), code.size())));
    return body;
}

Response error_response(int status, std::string_view code, std::string_view message) {
    return json_response(status, error_object(code, message).get());
}

} // namespace sarang::http
