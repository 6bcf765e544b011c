// Secrets are never logged and never stored in clear (issue #12, item 5). The test handles every
// kind of secret the system knows (one-time, chosen and changed passwords, wrong passwords tried,
// app and door PINs, session tokens, device credentials before and after rotation, a box token
// from generate-token, an integration's credential, a factory secret and a label PIN, provisioning
// and SoftAP credentials, a webhook's signing secret, the configured pepper, Midtrans server key
// and GOWA password), uses each where it is used (logins, MQTT CONNECTs, X-API-Key, a keypad
// attempt, a remote unlock), and then looks for each one, raw and as hex, base64 and base64url, in
// every log of the stack and in every row of every table.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/crypto.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "stack_env.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> secrets; // label -> secret
std::string lock_id;                        // not a secret: the scans' control

void keep(const std::string& label, const std::string& secret) {
    if (secret.empty())
        fail_msg("secret %s is empty: the step that should have produced it failed", label.c_str());
    secrets[label] = secret;
}

std::string after(const std::string& text, const std::string& marker) {
    size_t at = text.find(marker);
    if (at == std::string::npos)
        fail_msg("'%s' not in: %s", marker.c_str(), text.c_str());
    std::string rest = text.substr(at + marker.size());
    return rest.substr(0, rest.find_first_of("\n \""));
}

HttpResult must(HttpResult result, int status, const char* what) {
    if (result.status != status)
        fail_msg("%s: %d %s", what, result.status, result.body.c_str());
    return result;
}

std::string base64(std::string_view data, bool url) {
    const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                               : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        unsigned n = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8 |
                     (unsigned char)data[i + 2];
        for (int shift : {18, 12, 6, 0})
            out += alphabet[(n >> shift) & 63];
    }
    if (size_t rest = data.size() - i) {
        unsigned n =
            (unsigned char)data[i] << 16 | (rest == 2 ? (unsigned char)data[i + 1] << 8 : 0u);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        if (rest == 2)
            out += alphabet[(n >> 6) & 63];
    }
    return out; // unpadded: a padded copy contains it
}

// The forms a secret could be written in.
std::vector<std::string> forms(const std::string& secret) {
    std::string hex =
        crypto::hex_encode(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size());
    return {secret, hex, base64(secret, false), base64(secret, true)};
}

// Whether `needle` occurs in `text` as a whole token: a short secret (a PIN) also occurs by
// chance inside longer numbers (the microseconds of a timestamp), which is no leak.
bool occurs(const std::string& text, const std::string& needle) {
    bool short_secret = needle.size() <= 8;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        if (!short_secret)
            return true;
        auto glued = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; };
        bool before = at > 0 && glued(text[at - 1]);
        bool behind = at + needle.size() < text.size() && glued(text[at + needle.size()]);
        if (!before && !behind)
            return true;
    }
    return false;
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void handle_every_kind_of_secret() {
    std::string output;
    std::string user = "sec-owner";
    assert_int_equal(run_sarangctl("users create " + user + " --role user", output), 0);
    keep("one-time password", after(output, "one-time password: "));
    keep("wrong password tried", "Wrong#Guess-" + crypto::random_token().substr(0, 10));
    must(login(user, secrets["wrong password tried"]), 401, "wrong login");
    HttpResult first = must(login(user, secrets["one-time password"]), 403, "first login");
    keep("setup token", json_field(first.body, "token"));
    keep("chosen password", "Chosen#Pass-" + crypto::random_token().substr(0, 10));
    keep("app PIN", "738194");
    must(api_post("/api/auth/first-setup",
                  R"({"newPassword":")" + secrets["chosen password"] + R"(","newPin":"738194"})",
                  secrets["setup token"]),
         200, "first-setup");
    keep("changed password", "Changed#Pass-" + crypto::random_token().substr(0, 10));
    must(api_post("/api/auth/change-password",
                  R"({"currentPassword":")" + secrets["chosen password"] + R"(","newPassword":")" +
                      secrets["changed password"] + "\"}",
                  secrets["setup token"]),
         200, "change-password");
    HttpResult logged_in = must(login(user, secrets["changed password"]), 200, "login");
    keep("session token", json_field(logged_in.body, "token"));
    const std::string& token = secrets["session token"];
    keep("changed app PIN", "604152");
    must(api_post("/api/auth/change-pin", R"({"currentPin":"738194","newPin":"604152"})", token),
         200, "change-pin");
    keep("wrong PIN tried", "915273");
    must(api_post("/api/auth/verify-pin", R"({"pin":"915273"})", token), 401, "wrong PIN");
    keep("door PIN", "48271");
    must(
        api_post("/api/auth/change-door-pin", R"({"currentPin":"604152","newPin":"48271"})", token),
        200, "change-door-pin");

    // Devices: created, rotated, a box token, used over MQTT and HTTP.
    std::string lock = unique_id("lock"), pi = unique_id("pi"), box = unique_id("box");
    lock_id = lock;
    keep("lock credential", create_device(lock, "door-lock", "--owner " + user));
    keep("probe credential", create_device(pi, "hydro-sensor", "--owner " + user));
    keep("box credential", create_device(box, "parcel-box", "--owner " + user));
    assert_int_equal(run_sarangctl("devices rotate " + pi + " --grace-seconds 0 --json", output),
                     0);
    keep("rotated credential", password_from_json(output));
    assert_true(wait_until_admitted(pi, secrets["rotated credential"], 3s));
    HttpResult box_token =
        must(http_request(stack_env().http_port, "POST",
                          "/api/device/generate-token?deviceId=" + box, "{}", bearer(token)),
             200, "generate-token");
    keep("box token", json_field(box_token.body, "token"));
    must(http_request(stack_env().http_port, "POST", "/api/v1/readings", R"({"ph":6.4})",
                      {{"X-API-Key", secrets["rotated credential"]}}),
         201, "HTTP ingest");
    {
        MqttClient wrong(pi, 5);
        keep("wrong MQTT password", crypto::random_token());
        assert_int_not_equal(
            wrong.connect(stack_env().mqtt_port, pi, secrets["wrong MQTT password"]), 0);
        MqttClient app("app:" + user, 5);
        assert_int_equal(app.connect(stack_env().mqtt_port, user, token), 0);
        MqttClient keypad(lock, 5);
        assert_int_equal(keypad.connect(stack_env().mqtt_port, lock, secrets["lock credential"]),
                         0);
        assert_int_equal(
            keypad.subscribe(default_topic_prefix(*find_kind("door-lock"), lock) + "/pin/verdict"),
            1);
        std::string prefix = default_topic_prefix(*find_kind("door-lock"), lock);
        assert_true(accepted(
            keypad.publish(prefix + "/pin/attempt", R"({"pin":"48271","attemptId":"s-1"})")));
        keep("wrong door PIN tried", "30962");
        assert_true(accepted(
            keypad.publish(prefix + "/pin/attempt", R"({"pin":"30962","attemptId":"s-2"})")));
        assert_true(keypad.wait_message_count(prefix + "/pin/verdict", 2, 10s));
    }
    must(http_request(stack_env().http_port, "POST", "/api/device/control/door?deviceId=" + lock,
                      R"({"pin":"48271"})", bearer(token)),
         200, "remote unlock");

    // An integration's credential (sarangctl integrations), used over MQTT once admitted.
    std::string lake = unique_id("lake");
    assert_int_equal(
        run_sarangctl("integrations create " + lake + " --read 'hydro/#' --json", output), 0);
    keep("integration credential", password_from_json(output));
    for (auto deadline = std::chrono::steady_clock::now() + 3s;;) {
        MqttClient reader("integration:" + lake, 5);
        if (reader.connect(stack_env().mqtt_port, "integration:" + lake,
                           secrets["integration credential"]) == 0)
            break;
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(25ms);
    }

    // Provisioning: a factory secret, a label PIN and the credential answered for them.
    assert_int_equal(run_sarangctl("factory-secret create --label sweep", output), 0);
    keep("factory secret", after(output, "): "));
    keep("label PIN", "5823");
    HttpResult registered =
        must(http_request(stack_env().http_port, "POST", "/api/v1/devices/auto-register",
                          R"({"device_id":"A1B2C3D4E5F6","pin_code":"5823","factory_secret":")" +
                              secrets["factory secret"] + "\"}"),
             201, "auto-register");
    keep("auto-registered credential", json_field(registered.body, "mqtt_password"));
    HttpResult home = must(api_post("/api/v1/homes", R"({"name":"Rumah"})", token), 201, "home");
    HttpResult softap = must(api_post("/api/provision/register",
                                      R"({"chip_id":"sec-chip-1","home_id":)" +
                                          std::to_string(json_integer_field(home.body, "id")) + "}",
                                      token),
                             201, "SoftAP pre-registration");
    std::string error;
    json::Ptr softap_body = json::parse(softap.body, error);
    const char* softap_password = json_string_value(
        json_object_get(json_object_get(softap_body.get(), "mqtt_config"), "password"));
    keep("SoftAP credential", softap_password ? softap_password : "");
    HttpResult webhook =
        must(api_post("/api/v1/webhooks", R"({"url":"https://hooks.example.com/sec"})", token), 201,
             "webhook");
    keep("webhook secret", json_field(webhook.body, "secret"));

    // Secrets from the configuration.
    Config config = stack_env().config();
    keep("auth pepper", config.string("auth.pepper"));
    keep("Midtrans server key", config.string("vending.midtrans_server_key"));
    keep("GOWA password", config.string("gowa.password"));

    must(api_post("/api/auth/logout", "", token), 200, "logout");
    std::this_thread::sleep_for(1500ms); // the broker and workers write their lines and rows
}

void secrets_never_appear_in_logs_or_in_the_database(void**) {
    const char* state = std::getenv("SARANG_TEST_STATE");
    assert_non_null(state);
    // sarangctl's own log lines join the stack's logs (broker, sidecar, PostgreSQL).
    setenv("SARANG_TEST_SARANGCTL_LOG", (std::string(state) + "/log/sarangctl.log").c_str(), 1);
    handle_every_kind_of_secret();

    std::vector<std::string> leaks;
    size_t log_bytes = 0;
    int log_files = 0;
    // Controls: the scans do see what the stack wrote (the lock's id is in the broker's log and
    // in the devices table), so finding no secret means something.
    bool control_in_logs = false, control_in_rows = false;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(state) + "/log")) {
        std::string text = read_all(entry.path());
        log_bytes += text.size();
        ++log_files;
        control_in_logs = control_in_logs || occurs(text, lock_id);
        for (const auto& [label, secret] : secrets) {
            for (const std::string& form : forms(secret)) {
                if (occurs(text, form))
                    leaks.push_back(label + " in " + entry.path().filename().string());
            }
        }
    }

    pg::Result tables = db().exec("SELECT quote_ident(table_name) FROM information_schema.tables"
                                  " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    size_t rows_scanned = 0;
    for (int t = 0; t < tables.rows(); ++t) {
        std::string table(tables.text(t, 0));
        // Every column as text (bytea as \x hex) of every row.
        pg::Result rows = db().exec("SELECT t::text FROM public." + table + " t");
        for (int r = 0; r < rows.rows(); ++r) {
            std::string row(rows.text(r, 0));
            ++rows_scanned;
            control_in_rows = control_in_rows || occurs(row, lock_id);
            for (const auto& [label, secret] : secrets) {
                for (const std::string& form : forms(secret)) {
                    if (occurs(row, form))
                        leaks.push_back(label + " in table " + table + ": " + row.substr(0, 160));
                }
            }
        }
    }
    std::printf("secrets: %zu secrets in 4 forms each, searched in %zu bytes of %d logs and %zu "
                "rows of %d tables\n",
                secrets.size(), log_bytes, log_files, rows_scanned, tables.rows());
    for (const std::string& leak : leaks)
        std::printf("LEAK %s\n", leak.c_str());
    assert_int_equal(leaks.size(), 0);
    assert_true(control_in_logs);
    assert_true(control_in_rows);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(secrets_never_appear_in_logs_or_in_the_database),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
