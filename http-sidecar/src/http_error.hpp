#pragma once
// Handlers stop a request by throwing HttpError; the server turns it into its response. It never
// leaves the C++ side: run_handler catches everything before libmicrohttpd's callback returns.
#include "response.hpp"

#include <exception>
#include <string>
#include <string_view>

namespace sarang::http {

class HttpError : public std::exception {
  public:
    explicit HttpError(Response response) : response_(std::move(response)) {}
    HttpError(int status, std::string_view code, std::string_view message)
        : response_(error_response(status, code, message)) {}
    const char* what() const noexcept override { return "http error"; }
    const Response& response() const { return response_; }

  private:
    Response response_;
};

// 422 naming the offending field: {"error": "newPin must be ...", "code": "validation_failed",
// "field": "newPin"}.
[[noreturn]] void fail_validation(std::string_view field, std::string_view problem);

} // namespace sarang::http
