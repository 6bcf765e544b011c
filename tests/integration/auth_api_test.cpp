// The REST auth API over real HTTP against a real sidecar and PostgreSQL: the seed's SmartParcel
// flow (login -> first-setup -> verify-pin -> change-* -> logout), every error status, the
// brute-force lockouts, ownership of devices, device credentials on device endpoints only.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"
#include "tls_client.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

int http_port() {
    return stack_env().http_port;
}

void assert_error(const HttpResult& result, int status, const char* code) {
    if (result.status != status || json_field(result.body, "code") != code)
        print_message("got HTTP %d %s\n", result.status, result.body.c_str());
    assert_int_equal(result.status, status);
    assert_text_equal(json_field(result.body, "code"), code);
    assert_false(json_field(result.body, "error").empty());
}

void assert_validation(const HttpResult& result, const char* field) {
    assert_error(result, 422, "validation_failed");
    assert_text_equal(json_field(result.body, "field"), field);
}

long long audit_rows(const std::string& username, const std::string& action,
                     const std::string& outcome) {
    return db()
        .exec("SELECT count(*) FROM audit_log WHERE username = $1 AND action = $2"
              " AND outcome = $3",
              {username, action, outcome})
        .integer(0, 0);
}

std::string one_time_password(const std::string& username, const std::string& role) {
    std::string output;
    assert_int_equal(run_sarangctl("users create " + username + " --role " + role, output), 0);
    std::string marker = "one-time password: ";
    size_t at = output.find(marker);
    assert_true(at != std::string::npos);
    std::string password = output.substr(at + marker.size());
    return password.substr(0, password.find('\n'));
}

void the_seeds_auth_flow_works_end_to_end(void**) {
    std::string name = unique_id("owner");
    std::string first_password = one_time_password(name, "user");

    // Login with the one-time password: the seed's 403 requiresSetup, plus a setup-only token.
    HttpResult first = login(name, first_password);
    assert_error(first, 403, "setup_required");
    assert_non_null(std::strstr(first.body.c_str(), R"("requiresSetup":true)"));
    std::string token = json_field(first.body, "token");
    assert_int_equal(token.size(), 43);
    assert_error(api_get("/api/v1/devices", token), 403, "setup_required");
    assert_int_equal(api_get("/api/auth/session", token).status, 200);
    // A setup session is not an MQTT password either.
    {
        MqttClient app("app:" + name, 5);
        assert_int_not_equal(app.connect(stack_env().mqtt_port, name, token), 0);
    }

    // first-setup validates both fields, naming the one at fault.
    assert_validation(
        api_post("/api/auth/first-setup", R"({"newPassword":"short","newPin":"583920"})", token),
        "newPassword");
    assert_validation(api_post("/api/auth/first-setup",
                               R"({"newPassword":"Good#Pass-2026","newPin":"58392"})", token),
                      "newPin");
    assert_validation(api_post("/api/auth/first-setup",
                               R"({"newPassword":"Good#Pass-2026","newPin":"123456"})", token),
                      "newPin");
    assert_validation(api_post("/api/auth/first-setup", R"({"newPin":"583920"})", token),
                      "newPassword");
    HttpResult setup = api_post("/api/auth/first-setup",
                                R"({"newPassword":"Good#Pass-2026","newPin":"583920"})", token);
    assert_int_equal(setup.status, 200);
    assert_text_equal(json_field(setup.body, "message"), "First-time setup completed successfully");
    assert_error(api_post("/api/auth/first-setup",
                          R"({"newPassword":"Other#Pass-2026","newPin":"583920"})", token),
                 409, "already_set_up");

    // The same token is now a full session, with the seed's session fields.
    HttpResult session = api_get("/api/auth/session", token);
    assert_int_equal(session.status, 200);
    assert_non_null(std::strstr(session.body.c_str(), R"("scope":"full")"));
    assert_non_null(std::strstr(session.body.c_str(), R"("lastActivity":")"));
    assert_non_null(std::strstr(session.body.c_str(), R"("requirePasswordChange":false)"));
    assert_int_equal(api_get("/api/v1/devices", token).status, 200);

    // A normal login now has the seed's success shape.
    HttpResult normal = login(name, "Good#Pass-2026");
    assert_int_equal(normal.status, 200);
    assert_non_null(std::strstr(normal.body.c_str(), R"("success":true)"));
    assert_non_null(std::strstr(normal.body.c_str(), R"("expiresAt":")"));
    std::string second_token = json_field(normal.body, "token");

    // verify-pin
    HttpResult wrong_pin = api_post("/api/auth/verify-pin", R"({"pin":"111222"})", token);
    assert_error(wrong_pin, 401, "invalid_pin");
    assert_int_equal(json_integer_field(wrong_pin.body, "remainingAttempts"), 2);
    assert_int_equal(api_post("/api/auth/verify-pin", R"({"pin":"583920"})", token).status, 200);

    // change-password: the full policy applies (the seed allowed 6 characters here).
    assert_validation(api_post("/api/auth/change-password",
                               R"({"currentPassword":"Good#Pass-2026","newPassword":"abc123"})",
                               token),
                      "newPassword");
    assert_error(api_post("/api/auth/change-password",
                          R"({"currentPassword":"Wrong#Pass-2026","newPassword":"Next#Pass-2027"})",
                          token),
                 401, "invalid_credentials");
    HttpResult changed =
        api_post("/api/auth/change-password",
                 R"({"currentPassword":"Good#Pass-2026","newPassword":"Next#Pass-2027"})", token);
    assert_int_equal(changed.status, 200);
    assert_int_equal(json_integer_field(changed.body, "revokedSessions"), 1);
    assert_error(api_get("/api/auth/session", second_token), 401, "unauthorized");
    assert_error(login(name, "Good#Pass-2026"), 401, "invalid_credentials");

    // change-pin needs the current PIN; change-door-pin needs the app PIN too.
    assert_validation(api_post("/api/auth/change-pin", R"({"newPin":"5927"})", token),
                      "currentPin");
    assert_error(
        api_post("/api/auth/change-pin", R"({"currentPin":"999111","newPin":"5927"})", token), 401,
        "invalid_pin");
    assert_int_equal(
        api_post("/api/auth/change-pin", R"({"currentPin":"583920","newPin":"5927"})", token)
            .status,
        200);
    assert_validation(api_post("/api/auth/change-door-pin", R"({"newPin":"739164"})", token),
                      "currentPin");
    assert_validation(
        api_post("/api/auth/change-door-pin", R"({"currentPin":"5927","newPin":"12a4"})", token),
        "newPin");
    assert_int_equal(
        api_post("/api/auth/change-door-pin", R"({"currentPin":"5927","newPin":"739164"})", token)
            .status,
        200);

    // Secrets at rest are argon2id hashes; no PIN or password appears in clear anywhere.
    pg::Result stored = db().exec("SELECT password_hash, app_pin_hash, door_pin_hash FROM users"
                                  " WHERE username = $1",
                                  {name});
    for (int column = 0; column < 3; ++column)
        assert_true(stored.text(0, column).starts_with("$argon2id$"));
    assert_int_equal(db().exec("SELECT count(*) FROM audit_log WHERE detail::text LIKE '%5927%'"
                               " OR detail::text LIKE '%739164%'")
                         .integer(0, 0),
                     0);
    assert_int_equal(audit_rows(name, "change_door_pin", "success"), 1);
    assert_int_equal(audit_rows(name, "verify_pin", "failure"), 1);

    // logout ends the session.
    HttpResult bye = api_post("/api/auth/logout", "", token);
    assert_int_equal(bye.status, 200);
    assert_text_equal(json_field(bye.body, "message"), "Logged out successfully");
    assert_error(api_get("/api/auth/session", token), 401, "unauthorized");
}

void malformed_requests_get_their_statuses(void**) {
    AppAccount account = create_account(unique_id("errors"));
    assert_error(http_request(http_port(), "POST", "/api/auth/login", "{\"username\":"), 400,
                 "malformed_json");
    assert_error(http_request(http_port(), "POST", "/api/auth/login", "[]"), 400, "malformed_json");
    assert_error(http_request(http_port(), "POST", "/api/auth/login", "username=a&password=b",
                              {{"Content-Type", "application/x-www-form-urlencoded"}}),
                 415, "unsupported_media_type");
    assert_error(http_request(http_port(), "POST", "/api/auth/login",
                              "{\"username\":\"" + std::string(70000, 'a') + "\"}"),
                 413, "payload_too_large");
    assert_validation(http_request(http_port(), "POST", "/api/auth/login",
                                   R"({"username":"x","password":12345})"),
                      "password");
    assert_error(http_request(http_port(), "GET", "/api/auth/nothing"), 404, "not_found");
    HttpResult wrong_method = http_request(http_port(), "GET", "/api/auth/login");
    assert_error(wrong_method, 405, "method_not_allowed");
    assert_text_equal(wrong_method.header("allow"), "POST");

    HttpResult anonymous = http_request(http_port(), "GET", "/api/auth/session");
    assert_error(anonymous, 401, "unauthorized");
    assert_text_equal(anonymous.header("www-authenticate"), "Bearer");
    assert_error(api_get("/api/auth/session", "not-a-token"), 401, "unauthorized");
    assert_error(http_request(http_port(), "GET", "/api/auth/session", "",
                              {{"Authorization", "Basic " + account.token}}),
                 401, "unauthorized");
    assert_int_equal(api_get("/api/auth/session", account.token).status, 200);
    // The auth scheme is case-insensitive (RFC 7235), and so is the media type.
    assert_int_equal(http_request(http_port(), "GET", "/api/auth/session", "",
                                  {{"Authorization", "bearer " + account.token}})
                         .status,
                     200);
    assert_int_equal(http_request(http_port(), "POST", "/api/auth/verify-pin",
                                  "{\"pin\":\"" + account.pin + "\"}",
                                  {{"Authorization", "Bearer " + account.token},
                                   {"Content-Type", "Application/JSON; charset=utf-8"}})
                         .status,
                     200);
    // A username that cannot exist (here a password typed into the wrong field) is refused
    // without landing in the audit log.
    assert_error(login("Secret#Typed In Wrong Field", "x"), 401, "invalid_credentials");
    assert_int_equal(db().exec("SELECT count(*) FROM audit_log WHERE username LIKE '%Wrong Field%'")
                         .integer(0, 0),
                     0);
    assert_int_equal(db().exec("SELECT count(*) FROM audit_log WHERE detail->>'reason' ="
                               " 'malformed_username'")
                         .integer(0, 0),
                     1);
}

void registration_creates_plain_users_once(void**) {
    std::string name = unique_id("signup");
    std::string body = "{\"username\":\"" + name + "\",\"password\":\"Sign#Up-2026\"}";
    HttpResult created = http_request(http_port(), "POST", "/api/auth/register", body);
    assert_int_equal(created.status, 201);
    assert_non_null(std::strstr(created.body.c_str(), R"("role":"user")"));
    assert_error(http_request(http_port(), "POST", "/api/auth/register", body), 409,
                 "username_taken");
    assert_validation(
        http_request(http_port(), "POST", "/api/auth/register",
                     "{\"username\":\"" + unique_id("weak") + "\",\"password\":\"password\"}"),
        "password");
    assert_validation(http_request(http_port(), "POST", "/api/auth/register",
                                   R"({"username":"no spaces","password":"Sign#Up-2026"})"),
                      "username");
    // Names differing only in case would be look-alike accounts.
    std::string shouting = name;
    for (char& c : shouting)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    assert_error(http_request(http_port(), "POST", "/api/auth/register",
                              "{\"username\":\"" + shouting + "\",\"password\":\"Sign#Up-2026\"}"),
                 409, "username_taken");
    // A registered user signs in straight away: they chose their own password.
    HttpResult signed_in = login(name, "Sign#Up-2026");
    assert_int_equal(signed_in.status, 200);
    std::string token = json_field(signed_in.body, "token");

    // No app PIN yet: setting one needs the password, so a stolen session cannot set it (and
    // through it the door PIN).
    assert_error(
        api_post("/api/auth/change-door-pin", R"({"currentPin":"1111","newPin":"739164"})", token),
        409, "pin_not_set");
    assert_validation(api_post("/api/auth/change-pin", R"({"newPin":"5927"})", token),
                      "currentPassword");
    assert_error(api_post("/api/auth/change-pin",
                          R"({"currentPassword":"Wrong#Pass-1","newPin":"5927"})", token),
                 401, "invalid_credentials");
    assert_int_equal(api_post("/api/auth/change-pin",
                              R"({"currentPassword":"Sign#Up-2026","newPin":"5927"})", token)
                         .status,
                     200);
    assert_int_equal(
        api_post("/api/auth/change-door-pin", R"({"currentPin":"5927","newPin":"739164"})", token)
            .status,
        200);
}

void devices_are_visible_to_their_owner_and_admins_only(void**) {
    AppAccount owner = create_account(unique_id("own"));
    AppAccount stranger = create_account(unique_id("other"));
    AppAccount admin = create_account(unique_id("boss"), "admin");
    std::string device = unique_id("pi");
    std::string password = create_device(device);
    db().exec("UPDATE devices SET owner_id = (SELECT id FROM users WHERE username = $1)"
              " WHERE id = $2",
              {owner.username, device});
    // A reading, so that the readings API has something to show (or to hide).
    {
        MqttClient probe(device, 5);
        assert_int_equal(probe.connect(stack_env().mqtt_port, device, password), 0);
        assert_true(accepted(probe.publish("hydro/" + device + "/reading", R"({"ph":6.5})")));
    }
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::strstr(api_get("/api/v1/readings/latest", owner.token).body.c_str(),
                       device.c_str()) == nullptr &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    assert_non_null(
        std::strstr(api_get("/api/v1/readings/latest", owner.token).body.c_str(), device.c_str()));

    HttpResult mine = api_get("/api/v1/devices/" + device, owner.token);
    assert_int_equal(mine.status, 200);
    assert_text_equal(json_field(mine.body, "owner"), owner.username);
    assert_text_equal(json_field(mine.body, "kind"), "hydro-sensor");
    assert_non_null(std::strstr(api_get("/api/v1/devices", owner.token).body.c_str(),
                                ("\"id\":\"" + device + "\"").c_str()));
    // Someone else's device looks exactly like a device that does not exist.
    HttpResult theirs = api_get("/api/v1/devices/" + device, stranger.token);
    assert_error(theirs, 404, "not_found");
    assert_text_equal(theirs.body, api_get("/api/v1/devices/no-such-device", stranger.token).body);
    assert_null(
        std::strstr(api_get("/api/v1/devices", stranger.token).body.c_str(), device.c_str()));
    assert_null(std::strstr(api_get("/api/v1/readings/latest", stranger.token).body.c_str(),
                            device.c_str()));
    assert_int_equal(api_get("/api/v1/devices/" + device, admin.token).status, 200);
}

void device_credentials_work_on_device_endpoints_only(void**) {
    std::string device = unique_id("cam");
    std::string credential = create_device(device, "parcel-box");
    AppAccount person = create_account(unique_id("person"));

    HttpResult by_bearer =
        http_request(http_port(), "GET", "/api/v1/device/me", "", bearer(credential));
    assert_int_equal(by_bearer.status, 200);
    assert_text_equal(json_field(by_bearer.body, "id"), device);
    assert_text_equal(json_field(by_bearer.body, "kind"), "parcel-box");
    HttpResult by_key =
        http_request(http_port(), "GET", "/api/v1/device/me", "", {{"X-API-Key", credential}});
    assert_int_equal(by_key.status, 200);

    // Each kind of token only opens its own kind of endpoint.
    assert_error(api_get("/api/v1/devices", credential), 401, "unauthorized");
    assert_error(api_get("/api/v1/device/me", person.token), 401, "unauthorized");
    assert_error(http_request(http_port(), "GET", "/api/v1/device/me", "",
                              {{"X-API-Key", credential + "x"}}),
                 401, "unauthorized");

    std::string output;
    assert_int_equal(run_sarangctl("devices revoke " + device, output), 0);
    assert_error(http_request(http_port(), "GET", "/api/v1/device/me", "", bearer(credential)), 401,
                 "unauthorized");
}

void wrong_passwords_lock_the_account_out(void**) {
    AppAccount account = create_account(unique_id("victim"));
    for (int attempt = 1; attempt <= 2; ++attempt) {
        HttpResult wrong = login(account.username, "Not#The-Password1");
        assert_error(wrong, 401, "invalid_credentials");
        assert_int_equal(json_integer_field(wrong.body, "remainingAttempts"), 3 - attempt);
    }
    HttpResult locking = login(account.username, "Not#The-Password1");
    assert_error(locking, 429, "locked_out");
    assert_int_equal(json_integer_field(locking.body, "remainingSeconds"), 30);
    assert_false(json_field(locking.body, "lockoutUntil").empty());
    assert_text_equal(locking.header("retry-after"), "30");
    // While locked, even the right password is refused: guessing gains nothing.
    assert_error(login(account.username, account.password), 429, "locked_out");
    // Other accounts from the same address are unaffected.
    AppAccount bystander = create_account(unique_id("bystander"));
    assert_int_equal(login(bystander.username, bystander.password).status, 200);
    // Unknown usernames are throttled and audited the same way.
    std::string ghost = unique_id("ghost");
    assert_error(login(ghost, "Any#Password-1"), 401, "invalid_credentials");
    assert_int_equal(audit_rows(account.username, "login", "failure"), 3);
    assert_int_equal(audit_rows(account.username, "login", "locked"), 1);
    assert_int_equal(audit_rows(ghost, "login", "failure"), 1);
}

void wrong_pins_lock_pin_checks_out(void**) {
    AppAccount account = create_account(unique_id("pinned"));
    assert_error(api_post("/api/auth/verify-pin", R"({"pin":"000111"})", account.token), 401,
                 "invalid_pin");
    assert_error(api_post("/api/auth/verify-pin", R"({"pin":"000112"})", account.token), 401,
                 "invalid_pin");
    HttpResult locked = api_post("/api/auth/verify-pin", R"({"pin":"000113"})", account.token);
    assert_error(locked, 429, "locked_out");
    assert_false(locked.header("retry-after").empty());
    assert_error(api_post("/api/auth/verify-pin", ("{\"pin\":\"" + account.pin + "\"}").c_str(),
                          account.token),
                 429, "locked_out");
    // The door PIN cannot be changed past the lockout either.
    assert_error(
        api_post("/api/auth/change-door-pin",
                 ("{\"currentPin\":\"" + account.pin + "\",\"newPin\":\"739164\"}").c_str(),
                 account.token),
        429, "locked_out");
}

// Guesses sent at once are admitted one at a time: with a limit of 3 failures, at most 3 of them
// are verified (and audited as failures); the others are refused before verification.
void parallel_wrong_passwords_get_at_most_three_verifications(void**) {
    AppAccount account = create_account(unique_id("racer"));
    constexpr int guesses = 8;
    std::vector<int> statuses(guesses);
    std::vector<std::thread> threads;
    for (int i = 0; i < guesses; ++i)
        threads.emplace_back([&, i] {
            statuses[i] = login(account.username, "Wrong#Guess-" + std::to_string(i)).status;
        });
    for (std::thread& thread : threads)
        thread.join();
    int unauthorized = 0, locked = 0;
    for (int status : statuses) {
        unauthorized += status == 401;
        locked += status == 429;
    }
    assert_int_equal(unauthorized + locked, guesses);
    assert_int_equal(audit_rows(account.username, "login", "failure"), 3);
    assert_int_equal(audit_rows(account.username, "login", "locked"), guesses - 3);
    assert_int_equal(unauthorized, 2);
}

// POST /api/auth/login with extra headers (a proxy's X-Forwarded-For, a device cookie).
HttpResult login_with(const std::string& username, const std::string& password,
                      const HttpHeaders& headers) {
    return http_request(http_port(), "POST", "/api/auth/login",
                        "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}",
                        headers);
}

long long throttle_failures(const std::string& scope, const std::string& subject) {
    pg::Result row = db().exec("SELECT failures FROM auth_throttle WHERE scope = $1"
                               " AND subject = $2",
                               {scope, subject});
    return row.rows() == 1 ? row.integer(0, 0) : -1; // -1: never counted
}

std::string last_audit_address(const std::string& username) {
    pg::Result row = db().exec("SELECT coalesce(client_address, '') FROM audit_log"
                               " WHERE username = $1 ORDER BY id DESC LIMIT 1",
                               {username});
    return row.rows() == 1 ? std::string(row.text(0, 0)) : "";
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    assert_int_equal(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    close(fd);
    return ntohs(address.sin_port);
}

// Polls until something accepts connections on `port`, up to `limit`.
bool wait_for_port(int port, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        if (open)
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
}

// What a proxy in TCP mode passes on: its PROXY header in plain text, then the client's own TLS
// (the PROXY listener serves the stack's HTTPS). Returns everything answered until the close.
std::string proxied_exchange(int port, const std::string& header, const std::string& request) {
    TlsConnection connection(port, stack_env().tls_dir + "/ca.crt", header);
    return connection.send(request) ? connection.read_until_close() : "";
}

std::string login_request(const std::string& username) {
    std::string body = "{\"username\":\"" + username + "\",\"password\":\"Any#Password-1\"}";
    return "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// http.trusted_proxies is empty here: a client cannot choose the address it is throttled by.
void a_forwarded_for_from_an_untrusted_peer_changes_nothing(void**) {
    std::string ghost = unique_id("spoofer");
    long long before = throttle_failures("login-address", "127.0.0.1");
    assert_error(login_with(ghost, "Any#Password-1", {{"X-Forwarded-For", "198.51.100.77"}}), 401,
                 "invalid_credentials");
    assert_int_equal(throttle_failures("login-address", "198.51.100.77"), -1);
    assert_int_equal(throttle_failures("login-address", "127.0.0.1"), before + 1);
    assert_text_equal(last_audit_address(ghost), "127.0.0.1");
}

// Restarts the sidecar trusting 127.0.0.1 (the tests' peer) as a proxy: from here on a request
// with X-Forwarded-For comes from the address it names; one without comes from 127.0.0.1.
void a_trusted_proxy_names_the_client(void**) {
    setenv("SARANG_HTTP_TRUSTED_PROXIES", "127.0.0.1/32, ::1/128", 1);
    int proxy_port = free_port();
    setenv("SARANG_HTTP_PROXY_PROTOCOL_PORT", std::to_string(proxy_port).c_str(), 1);
    stack_control("sidecar", "stop");
    stack_control("sidecar", "start");
    assert_true(wait_for_port(proxy_port, 10s));
    std::string ghost = unique_id("proxied");
    long long before = throttle_failures("login-address", "127.0.0.1");
    // The client's own (spoofed) entry is left of the one the proxy appended: not believed.
    assert_error(
        login_with(ghost, "Any#Password-1", {{"X-Forwarded-For", "192.0.2.1, 198.51.100.88"}}), 401,
        "invalid_credentials");
    assert_int_equal(throttle_failures("login-address", "198.51.100.88"), 1);
    assert_int_equal(throttle_failures("login-address", "192.0.2.1"), -1);
    assert_int_equal(throttle_failures("login-address", "127.0.0.1"), before);
    assert_text_equal(last_audit_address(ghost), "198.51.100.88");
    // HAProxy appends its own header line: every line counts, the client's first one included.
    assert_error(
        login_with(ghost, "Any#Password-1",
                   {{"X-Forwarded-For", "192.0.2.1"}, {"X-Forwarded-For", "198.51.100.88"}}),
        401, "invalid_credentials");
    assert_int_equal(throttle_failures("login-address", "198.51.100.88"), 2);
    assert_int_equal(throttle_failures("login-address", "192.0.2.1"), -1);

    // A proxy in TCP mode on http.proxy_protocol_port: the PROXY header (v1 and v2) names the
    // client.
    std::string v1 = "PROXY TCP4 198.51.100.120 127.0.0.1 40000 80\r\n";
    std::string tcp_ghost = unique_id("proxied-tcp");
    assert_non_null(std::strstr(proxied_exchange(proxy_port, v1, login_request(tcp_ghost)).c_str(),
                                "invalid_credentials"));
    assert_int_equal(throttle_failures("login-address", "198.51.100.120"), 1);
    std::string v2("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16);
    v2 += std::string("\xc6\x33\x64\x79\x7f\x00\x00\x01\x9c\x40\x00\x50", 12); // 198.51.100.121
    assert_non_null(std::strstr(proxied_exchange(proxy_port, v2, login_request(tcp_ghost)).c_str(),
                                "invalid_credentials"));
    assert_int_equal(throttle_failures("login-address", "198.51.100.121"), 1);
    assert_text_equal(last_audit_address(tcp_ghost), "198.51.100.121");
    // Without a header the connection is dropped unanswered.
    assert_text_equal(proxied_exchange(proxy_port, "", login_request(tcp_ghost)), "");
}

// Issue #19 item 6: one attacker behind a carrier-grade NAT (every client shows the NAT's
// address, 203.0.113.50 here) guessing A's password. Needs a_trusted_proxy_names_the_client.
void an_attacker_behind_a_shared_address_does_not_lock_out_its_users(void**) {
    const HttpHeaders nat = {{"X-Forwarded-For", "203.0.113.50"}};
    AppAccount a = create_account(unique_id("natted-a"));
    AppAccount b = create_account(unique_id("natted-b"));
    // A signed in on this phone before: the reply carries a device cookie (JSON and Set-Cookie).
    HttpResult earlier = login_with(a.username, a.password, nat);
    assert_int_equal(earlier.status, 200);
    std::string cookie = json_field(earlier.body, "deviceCookie");
    assert_false(cookie.empty());
    std::string set_cookie = earlier.header("set-cookie");
    assert_non_null(std::strstr(set_cookie.c_str(), ("sarang_device=" + cookie).c_str()));
    assert_non_null(std::strstr(set_cookie.c_str(), "HttpOnly"));
    assert_null(std::strstr(set_cookie.c_str(), "Secure")); // plain HTTP
    // Only SHA-256 of the nonce is stored, never the token.
    std::string nonce = cookie.substr(cookie.find('.') + 1, 64);
    assert_int_equal(db().exec("SELECT count(*) FROM device_cookies WHERE nonce_hash ="
                               " sha256(convert_to($1, 'UTF8'))",
                               {nonce})
                         .integer(0, 0),
                     1);

    // The attacker: 25 wrong passwords for A from the shared address, without a cookie.
    int locked = 0;
    for (int i = 0; i < 25; ++i)
        locked += login_with(a.username, "Wrong#Guess-" + std::to_string(i), nat).status == 429;
    assert_int_equal(locked, 23); // the 3rd locks A for untrusted clients; refusals count nothing
    // A on a new phone (no cookie) is locked with the attacker ...
    assert_error(login_with(a.username, a.password, nat), 429, "locked_out");
    // ... but A's phone with its cookie signs in, as an app (header) or a browser (cookie).
    HttpResult trusted = login_with(a.username, a.password, {nat[0], {"X-Device-Cookie", cookie}});
    assert_int_equal(trusted.status, 200);
    assert_text_equal(json_field(trusted.body, "deviceCookie"), cookie); // renewed, not replaced
    assert_int_equal(
        login_with(a.username, a.password, {nat[0], {"Cookie", "x=1; sarang_device=" + cookie}})
            .status,
        200);
    // A forged or another user's cookie is no cookie at all.
    std::string forged = cookie;
    forged.back() = forged.back() == '0' ? '1' : '0';
    assert_error(login_with(a.username, a.password, {nat[0], {"X-Device-Cookie", forged}}), 429,
                 "locked_out");
    // B on the same address, without a cookie, is not locked: the account lockout stopped the
    // attacker's count at 3 of the address's 20.
    HttpResult b_login = login_with(b.username, b.password, nat);
    assert_int_equal(b_login.status, 200);
    std::string b_cookie = json_field(b_login.body, "deviceCookie");
    assert_int_equal(throttle_failures("login-address", "203.0.113.50"), 3);

    // The attacker sprays usernames instead: the address locks for clients without a cookie ...
    int status = 0;
    for (int i = 0; i < 25 && status != 429; ++i)
        status = login_with(unique_id("spray"), "Guess#Word-2026", nat).status;
    assert_int_equal(status, 429);
    AppAccount c = create_account(unique_id("natted-c")); // (set up from 127.0.0.1)
    assert_error(login_with(c.username, c.password, nat), 429, "locked_out");
    // ... but not for B and A, who signed in here before.
    assert_int_equal(
        login_with(b.username, b.password, {nat[0], {"X-Device-Cookie", b_cookie}}).status, 200);
    assert_int_equal(
        login_with(a.username, a.password, {nat[0], {"X-Device-Cookie", cookie}}).status, 200);

    // Wrong passwords with a cookie lock that cookie only, not the account or the address.
    long long account_before = throttle_failures("login-account", b.username);
    for (int i = 0; i < 2; ++i)
        assert_error(
            login_with(b.username, "Wrong#Guess-9", {nat[0], {"X-Device-Cookie", b_cookie}}), 401,
            "invalid_credentials");
    assert_error(login_with(b.username, "Wrong#Guess-9", {nat[0], {"X-Device-Cookie", b_cookie}}),
                 429, "locked_out");
    assert_int_equal(throttle_failures("login-account", b.username), account_before);
    assert_int_equal(login(b.username, b.password).status, 200); // from 127.0.0.1, no cookie
}

// Set-Cookie is Secure when the client used HTTPS, as a trusted proxy reports it.
void the_device_cookie_is_secure_behind_an_https_proxy(void**) {
    AppAccount account = create_account(unique_id("https"));
    HttpResult reply =
        login_with(account.username, account.password,
                   {{"X-Forwarded-For", "198.51.100.99"}, {"X-Forwarded-Proto", "https"}});
    assert_int_equal(reply.status, 200);
    assert_non_null(std::strstr(reply.header("set-cookie").c_str(), "; Secure"));
}

// Last: it locks this test's client address (127.0.0.1) out of logins for a while.
void many_accounts_from_one_address_lock_the_address(void**) {
    long long before = db().exec("SELECT coalesce(max(failures), 0) FROM auth_throttle"
                                 " WHERE scope = 'login-address' AND subject = '127.0.0.1'")
                           .integer(0, 0);
    int status = 0;
    int attempts = 0;
    // auth.address_lockout_after_failures is 20: spread over accounts that each stay unlocked.
    for (; attempts < 25 && status != 429; ++attempts)
        status = login(unique_id("spray"), "Guess#Word-2026").status;
    assert_int_equal(status, 429);
    assert_int_equal(before + attempts, 20);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_seeds_auth_flow_works_end_to_end),
        cmocka_unit_test(malformed_requests_get_their_statuses),
        cmocka_unit_test(registration_creates_plain_users_once),
        cmocka_unit_test(devices_are_visible_to_their_owner_and_admins_only),
        cmocka_unit_test(device_credentials_work_on_device_endpoints_only),
        cmocka_unit_test(wrong_passwords_lock_the_account_out),
        cmocka_unit_test(wrong_pins_lock_pin_checks_out),
        cmocka_unit_test(parallel_wrong_passwords_get_at_most_three_verifications),
        cmocka_unit_test(a_forwarded_for_from_an_untrusted_peer_changes_nothing),
        cmocka_unit_test(a_trusted_proxy_names_the_client),
        cmocka_unit_test(an_attacker_behind_a_shared_address_does_not_lock_out_its_users),
        cmocka_unit_test(the_device_cookie_is_secure_behind_an_https_proxy),
        cmocka_unit_test(many_accounts_from_one_address_lock_the_address),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
