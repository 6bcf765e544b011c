#pragma once
// App accounts for integration tests, made the way a person would: sarangctl users create, then
// login and first-setup over HTTP.
#include "http_client.hpp"

#include <chrono>
#include <string>

namespace sarang::test {

struct AppAccount {
    std::string username;
    std::string password; // after first-setup
    std::string pin;      // the app PIN set at first-setup
    std::string token;    // a full session
};

// role: admin or user. Aborts the test when any step fails.
AppAccount create_account(const std::string& username, const std::string& role = "user");

// POST a JSON body to the sidecar with the account's session.
HttpResult api_post(const std::string& path, const std::string& json_body,
                    const std::string& token);
HttpResult api_get(const std::string& path, const std::string& token);

// POST /api/auth/login; returns the reply.
HttpResult login(const std::string& username, const std::string& password);

// A string field of a JSON object body; empty when absent.
std::string json_field(const std::string& body, const char* field);
long long json_integer_field(const std::string& body, const char* field);

// A device's "rejections" in GET /api/v1/devices/{id} (docs/telemetry.md "Rejected data").
struct Rejections {
    long long count = 0;
    std::string last_reason, last_sample;
};
// Polls GET /api/v1/devices/{id} until its rejection count is at least `count`; aborts the test
// (with the last answer) when `timeout` passes first.
Rejections wait_rejections(const std::string& device_id, const std::string& token, long long count,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace sarang::test
