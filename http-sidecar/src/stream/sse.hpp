#pragma once
// The Server-Sent Events wire format (WHATWG HTML, "Server-sent events"): fields are lines,
// an event ends with a blank line, lines starting with ':' are comments that clients ignore.
#include <string>
#include <string_view>

namespace sarang::http::sse {

// "event: <name>\ndata: <line>\n...\n\n". Each line of `data` becomes its own data field, so
// a payload with newlines arrives intact (the client joins data fields with '\n').
std::string event(std::string_view name, std::string_view data);

// ": <text>\n\n": keeps proxies and idle timers from closing a quiet stream.
std::string comment(std::string_view text);

// "retry: <ms>\n\n": how long EventSource waits before it reconnects.
std::string retry(int milliseconds);

} // namespace sarang::http::sse
