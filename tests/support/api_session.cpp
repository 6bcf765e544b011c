#include "api_session.hpp"

#include "stack_env.hpp"

#include <cstdio>
#include <cstdlib>
#include <jansson.h>
#include <thread>

namespace sarang::test {
namespace {

[[noreturn]] void give_up(const std::string& what, const HttpResult& result) {
    std::fprintf(stderr, "create_account: %s: HTTP %d %s\n", what.c_str(), result.status,
                 result.body.c_str());
    std::abort();
}

std::string quoted(const std::string& text) {
    json_t* value = json_string(text.c_str());
    char* dumped = json_dumps(value, JSON_ENCODE_ANY);
    std::string out(dumped);
    free(dumped);
    json_decref(value);
    return out;
}

} // namespace

std::string json_field(const std::string& body, const char* field) {
    json_t* root = json_loads(body.c_str(), 0, nullptr);
    std::string out;
    if (const char* value = json_string_value(json_object_get(root, field)))
        out = value;
    json_decref(root);
    return out;
}

long long json_integer_field(const std::string& body, const char* field) {
    json_t* root = json_loads(body.c_str(), 0, nullptr);
    long long out = json_integer_value(json_object_get(root, field));
    json_decref(root);
    return out;
}

Rejections wait_rejections(const std::string& device_id, const std::string& token, long long count,
                           std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        HttpResult device = api_get("/api/v1/devices/" + device_id, token);
        Rejections out;
        if (json_t* root = json_loads(device.body.c_str(), 0, nullptr)) {
            json_t* rejections = json_object_get(root, "rejections");
            out.count = json_integer_value(json_object_get(rejections, "count"));
            const char* reason = json_string_value(json_object_get(rejections, "last_reason"));
            const char* sample = json_string_value(json_object_get(rejections, "last_sample"));
            out.last_reason = reason ? reason : "";
            out.last_sample = sample ? sample : "";
            json_decref(root);
        }
        if (device.status == 200 && out.count >= count)
            return out;
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "wait_rejections(%s, %lld): HTTP %d %s\n", device_id.c_str(),
                         count, device.status, device.body.c_str());
            std::abort();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

HttpResult api_post(const std::string& path, const std::string& json_body,
                    const std::string& token) {
    return http_request(stack_env().http_port, "POST", path, json_body,
                        token.empty() ? HttpHeaders{} : bearer(token));
}

HttpResult api_get(const std::string& path, const std::string& token) {
    return http_request(stack_env().http_port, "GET", path, "",
                        token.empty() ? HttpHeaders{} : bearer(token));
}

HttpResult login(const std::string& username, const std::string& password) {
    return api_post("/api/auth/login",
                    "{\"username\":" + quoted(username) + ",\"password\":" + quoted(password) + "}",
                    "");
}

AppAccount create_account(const std::string& username, const std::string& role) {
    std::string output;
    if (run_sarangctl("users create " + username + " --role " + role, output) != 0) {
        std::fprintf(stderr, "create_account: sarangctl failed: %s\n", output.c_str());
        std::abort();
    }
    const std::string marker = "one-time password: ";
    size_t at = output.find(marker);
    if (at == std::string::npos)
        give_up("no one-time password in sarangctl's output", {});
    std::string one_time = output.substr(at + marker.size());
    one_time = one_time.substr(0, one_time.find('\n'));

    HttpResult first = login(username, one_time);
    if (first.status != 403)
        give_up("first login should ask for setup", first);
    AppAccount account;
    account.username = username;
    account.password = "Fresh#Pass-2026";
    account.pin = "583920";
    HttpResult setup = api_post("/api/auth/first-setup",
                                "{\"newPassword\":" + quoted(account.password) +
                                    ",\"newPin\":" + quoted(account.pin) + "}",
                                json_field(first.body, "token"));
    if (setup.status != 200)
        give_up("first-setup", setup);
    account.token = json_field(first.body, "token"); // now a full session
    return account;
}

} // namespace sarang::test
