#include "throttle.hpp"

#include "time_text.hpp"

namespace sarang::http {

Response lockout_response(const Lockout& lockout, std::string_view what) {
    json::Ptr body =
        error_object("locked_out", "too many failed " + std::string(what) + "; try again in " +
                                       std::to_string(lockout.remaining.count()) + " seconds");
    json::set(body.get(), "lockoutUntil", json::own(json_string(iso8601(lockout.until).c_str())));
    json::set(body.get(), "remainingSeconds",
              json::own(json_integer(static_cast<json_int_t>(lockout.remaining.count()))));
    Response response = json_response(429, body.get());
    response.headers.emplace_back("Retry-After", std::to_string(lockout.remaining.count()));
    return response;
}

} // namespace sarang::http
