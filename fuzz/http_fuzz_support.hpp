#pragma once
// For the sidecar's parsers: bad input must be refused as a client error, never a 500.
#include "fuzz_support.hpp"
#include "http_error.hpp"

#include <functional>

namespace sarang::http {

// Runs one parser; a refusal must be an HttpError with a 4xx status.
inline void refuses_cleanly(const std::function<void()>& parse) {
    try {
        parse();
    } catch (const HttpError& error) {
        int status = error.response().status;
        FUZZ_CHECK(status >= 400 && status < 500);
    }
}

} // namespace sarang::http
