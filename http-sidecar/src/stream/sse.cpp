#include "sse.hpp"

namespace sarang::http::sse {

std::string event(std::string_view name, std::string_view data) {
    std::string out;
    out.reserve(name.size() + data.size() + 24);
    out.append("event: ").append(name).append("\n");
    // CR, LF and CRLF all end a line in the SSE grammar; split on each.
    std::size_t start = 0;
    for (std::size_t at = 0; at <= data.size(); ++at) {
        if (at < data.size() && data[at] != '\n' && data[at] != '\r')
            continue;
        out.append("data: ").append(data.substr(start, at - start)).append("\n");
        if (at + 1 < data.size() && data[at] == '\r' && data[at + 1] == '\n')
            ++at;
        start = at + 1;
    }
    out.append("\n");
    return out;
}

std::string comment(std::string_view text) {
    return std::string(": ").append(text).append("\n\n");
}

std::string retry(int milliseconds) {
    return "retry: " + std::to_string(milliseconds) + "\n\n";
}

} // namespace sarang::http::sse
