// The seeds' provisioning endpoints on the sidecar, with the broker and PostgreSQL behind them:
// auto-register (seed 000) and its takeover attack, the user claim with its PIN limits, SoftAP
// pre-registration (seed 002) from register to "is_provisioned", and the expiry of an unused
// pre-registration's credential. The stack runs with provision.pre_registration_ttl_s = 3.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <thread>
#include <vector>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string& factory_secret() {
    static const std::string secret = [] {
        std::string output;
        assert_int_equal(run_sarangctl("factory-secret create --json --label test", output), 0);
        return json_field(output, "factory_secret");
    }();
    return secret;
}

HttpResult auto_register(const std::string& id, const std::string& pin,
                         const std::string& secret = factory_secret()) {
    return api_post("/api/v1/devices/auto-register",
                    "{\"device_id\":\"" + id + "\",\"pin_code\":\"" + pin +
                        "\",\"factory_secret\":\"" + secret + "\"}",
                    "");
}

HttpResult claim(const std::string& token, const std::string& id, const std::string& pin) {
    return api_post("/api/v1/devices/claim",
                    "{\"device_id\":\"" + id + "\",\"pin_code\":\"" + pin + "\"}", token);
}

// At once: every route that hands out a credential answers only after the broker has it.
int connect_device(MqttClient& client, const std::string& id, const std::string& password) {
    return client.connect(stack_env().mqtt_port, id, password);
}

std::string cell(const std::string& sql, const pg::Params& params = {}) {
    pg::Result rows = db().exec(sql, params);
    return rows.rows() > 0 ? std::string(rows.text(0, 0)) : "(no row)";
}

// Seed 000, step by step: the ESP32 posts its MAC, PIN and the factory secret; the user claims
// the id with the PIN; the device works with its credential.
void seed_000_auto_register_then_claim(void**) {
    HttpResult registered = auto_register("441D64BE2208", "4821");
    assert_int_equal(registered.status, 201);
    assert_string_equal(json_field(registered.body, "status").c_str(), "registered");
    std::string password = json_field(registered.body, "mqtt_password");
    assert_int_equal(password.size(), 43);
    MqttClient device("441D64BE2208", 5);
    assert_int_equal(connect_device(device, "441D64BE2208", password), 0);

    AppAccount user = create_account("claimer");
    HttpResult claimed = claim(user.token, "441D64BE2208", "4821");
    assert_int_equal(claimed.status, 200);
    assert_string_equal(cell("SELECT u.username || ' ' || d.state FROM devices d JOIN users u"
                             " ON u.id = d.owner_id WHERE d.id = '441D64BE2208'")
                            .c_str(),
                        "claimer claimed");
    // Claiming again is harmless; someone else with the right PIN gets 409.
    assert_int_equal(claim(user.token, "441D64BE2208", "4821").status, 200);
    AppAccount other = create_account("other-claimer");
    HttpResult taken = claim(other.token, "441D64BE2208", "4821");
    assert_int_equal(taken.status, 409);
    assert_string_equal(json_field(taken.body, "code").c_str(), "already_claimed");
}

void missing_fields_are_422_naming_the_field(void**) {
    AppAccount user = create_account("field-checker");
    HttpResult result =
        api_post("/api/v1/devices/claim", "{\"device_id\":\"441D64BE2208\"}", user.token);
    assert_int_equal(result.status, 422);
    assert_string_equal(json_field(result.body, "field").c_str(), "pin_code");
    result = api_post("/api/v1/devices/claim", "{\"pin_code\":\"1234\"}", user.token);
    assert_int_equal(result.status, 422);
    assert_string_equal(json_field(result.body, "field").c_str(), "device_id");
    // Seed 000's Flutter bug: the app's claim body sent to auto-register lacks factory_secret.
    result = api_post("/api/v1/devices/auto-register",
                      "{\"device_id\":\"441D64BE2208\",\"pin_code\":\"1234\"}", "");
    assert_int_equal(result.status, 422);
    assert_string_equal(json_field(result.body, "field").c_str(), "factory_secret");
    result = auto_register("not-a-mac", "1234");
    assert_int_equal(result.status, 422);
    assert_string_equal(json_field(result.body, "field").c_str(), "device_id");
    result = auto_register("A4CF12EF0001", "1");
    assert_int_equal(result.status, 422);
    assert_string_equal(json_field(result.body, "field").c_str(), "pin_code");
    assert_int_equal(claim("", "441D64BE2208", "4821").status, 401);
}

// The factory secret over HTTP gets no more than over MQTT: an existing device is not handed
// out without its PIN, and a wrong factory secret is 401.
void auto_register_never_takes_over_an_existing_device(void**) {
    assert_int_equal(auto_register("5CCF7F000001", "2468").status, 201);
    HttpResult attack = auto_register("5CCF7F000001", "0000");
    assert_int_equal(attack.status, 401);
    assert_string_equal(json_field(attack.body, "code").c_str(), "invalid_pin");
    assert_string_equal(json_field(attack.body, "mqtt_password").c_str(), "");
    HttpResult wrong_secret = auto_register("5CCF7F000002", "2468", "not-the-factory-secret");
    assert_int_equal(wrong_secret.status, 401);
    assert_string_equal(json_field(wrong_secret.body, "code").c_str(), "invalid_factory_secret");
    assert_string_equal(
        cell("SELECT count(*)::text FROM devices WHERE id = '5CCF7F000002'").c_str(), "0");
    // The factory reset: with the PIN, a new credential.
    HttpResult reset = auto_register("5CCF7F000001", "2468");
    assert_int_equal(reset.status, 200);
    assert_string_equal(json_field(reset.body, "status").c_str(), "reissued");
}

// The factory reset's PIN check admits before it verifies: of 6 wrong PINs sent at once, at most
// 3 (the device's limit) are verified; the others are refused as locked.
void parallel_wrong_reset_pins_get_at_most_three_verifications(void**) {
    const std::string id = "5CCF7F0000B1";
    assert_int_equal(auto_register(id, "2468").status, 201);
    std::vector<int> statuses(6);
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i)
        threads.emplace_back(
            [&, i] { statuses[i] = auto_register(id, "000" + std::to_string(i)).status; });
    for (std::thread& thread : threads)
        thread.join();
    for (int status : statuses)
        assert_true(status == 401 || status == 429);
    assert_string_equal(cell("SELECT count(*)::text FROM audit_log WHERE username = $1"
                             " AND action = 'auto_register' AND outcome = 'failure'",
                             {id})
                            .c_str(),
                        "3");
}

// Wrong PINs: three per device and user lock that user out of that device (429 with
// Retry-After), and never anyone else (issue #21 item 4): the owner still claims it and the device
// still re-registers itself. Three per user lock that user, whichever device.
void claims_with_wrong_pins_are_limited_per_caller_and_per_user(void**) {
    assert_int_equal(auto_register("7C9EBD000001", "1470").status, 201);
    AppAccount stranger = create_account("guesser-one");
    AppAccount owner = create_account("guesser-two");
    HttpResult result = claim(stranger.token, "7C9EBD000001", "0001");
    assert_int_equal(result.status, 401);
    assert_int_equal(json_integer_field(result.body, "remainingAttempts"), 2);
    assert_int_equal(claim(stranger.token, "7C9EBD000001", "0002").status, 401);
    result = claim(stranger.token, "7C9EBD000001", "0003");
    assert_int_equal(result.status, 429);
    assert_false(result.header("retry-after").empty());
    // Locked: even the right PIN waits, for the stranger ...
    assert_int_equal(claim(stranger.token, "7C9EBD000001", "1470").status, 429);
    // ... but not for the device's own factory reset, nor for its owner.
    HttpResult reset = auto_register("7C9EBD000001", "1470");
    assert_int_equal(reset.status, 200);
    assert_string_equal(json_field(reset.body, "status").c_str(), "reissued");
    assert_int_equal(claim(owner.token, "7C9EBD000001", "1470").status, 200);

    // Per user: one account guessing across devices (unknown ids count the same).
    AppAccount roamer = create_account("roamer");
    assert_int_equal(claim(roamer.token, "7C9EBD0000A1", "0001").status, 401);
    assert_int_equal(claim(roamer.token, "7C9EBD0000A2", "0001").status, 401);
    assert_int_equal(claim(roamer.token, "7C9EBD0000A3", "0001").status, 429);
    assert_int_equal(auto_register("7C9EBD0000A4", "9630").status, 201);
    assert_int_equal(claim(roamer.token, "7C9EBD0000A4", "9630").status, 429);
    assert_string_equal(cell("SELECT count(*)::text FROM audit_log WHERE action = 'claim_device'"
                             " AND outcome = 'locked'")
                            .c_str(),
                        "2");
}

// All callers together meet the device's ceiling (100 wrong PINs a day): it locks the claim
// and the re-registration for everyone, for an hour and growing.
void many_callers_meet_the_devices_ceiling(void**) {
    assert_int_equal(auto_register("7C9EBD0000C1", "2580").status, 201);
    db().exec("INSERT INTO auth_throttle (scope, subject, failures, last_failure_at, locked_until)"
              " VALUES ('device-pin', '7C9EBD0000C1', 99, now(), 'epoch')");
    AppAccount hundredth = create_account("guesser-hundred");
    HttpResult result = claim(hundredth.token, "7C9EBD0000C1", "0001");
    assert_int_equal(result.status, 429);
    long long retry = std::stoll(result.header("retry-after"));
    assert_true(retry > 3500 && retry <= 3600);
    AppAccount owner = create_account("ceiling-owner");
    assert_int_equal(claim(owner.token, "7C9EBD0000C1", "2580").status, 429);
    assert_int_equal(auto_register("7C9EBD0000C1", "2580").status, 429);
}

void homes_are_per_user(void**) {
    AppAccount user = create_account("home-owner");
    HttpResult created = api_post("/api/v1/homes", "{\"name\":\"Rumah\"}", user.token);
    assert_int_equal(created.status, 201);
    assert_int_equal(api_post("/api/v1/homes", "{\"name\":\"Rumah\"}", user.token).status, 409);
    assert_int_equal(api_post("/api/v1/homes", "{}", user.token).status, 422);
    HttpResult list = api_get("/api/v1/homes", user.token);
    assert_int_equal(list.status, 200);
    assert_int_equal(json_integer_field(list.body, "count"), 1);
    AppAccount stranger = create_account("home-stranger");
    assert_int_equal(json_integer_field(api_get("/api/v1/homes", stranger.token).body, "count"), 0);
}

struct PreRegistration {
    std::string id, node, password, topic_prefix;
};

PreRegistration pre_register(const AppAccount& user, long long home) {
    HttpResult result =
        api_post("/api/provision/register/",
                 "{\"chip_id\":\"temp_1234567890\",\"home_id\":" + std::to_string(home) +
                     ",\"device_name\":\"Living Room Sensor\"}",
                 user.token);
    assert_int_equal(result.status, 201);
    std::string error;
    json::Ptr body = json::parse(result.body, error);
    json_t* mqtt = json_object_get(body.get(), "mqtt_config");
    assert_non_null(mqtt);
    auto text = [&](const char* name) {
        json_t* value = json_object_get(mqtt, name);
        return std::string(json_is_string(value) ? json_string_value(value) : "");
    };
    assert_int_equal(json_integer_value(json_object_get(mqtt, "broker_port")),
                     stack_env().config().integer("provision.broker_port"));
    assert_string_equal(text("username").c_str(), text("node_name").c_str());
    return {json_field(result.body, "provisioning_id"), text("node_name"), text("password"),
            text("topic_prefix")};
}

long long new_home(const AppAccount& user, const std::string& name) {
    HttpResult created = api_post("/api/v1/homes", "{\"name\":\"" + name + "\"}", user.token);
    assert_int_equal(created.status, 201);
    return json_integer_field(created.body, "id");
}

// Seed 002, step by step: pre-register on the home network, the device connects with the
// mqtt_config it was handed and says "online", the app polls the status.
void seed_002_softap_pre_registration_is_provisioned_by_the_first_connection(void**) {
    AppAccount user = create_account("softap-user");
    long long home = new_home(user, "Home");
    PreRegistration pre = pre_register(user, home);
    HttpResult status = api_get("/api/provision/status/" + pre.id, user.token);
    assert_int_equal(status.status, 200);
    assert_true(status.body.find("\"is_provisioned\":false") != std::string::npos);

    MqttClient device(pre.node, 5);
    assert_int_equal(connect_device(device, pre.node, pre.password), 0);
    assert_true(accepted(device.publish(pre.topic_prefix + "/status",
                                        "{\"status\":\"online\",\"chip_id\":\"A4CF12EF5678\"}")));
    auto deadline = Clock::now() + 5s;
    do {
        status = api_get("/api/provision/status/" + pre.id, user.token);
        if (status.body.find("\"is_provisioned\":true") != std::string::npos &&
            json_field(status.body, "chip_id") == "A4CF12EF5678")
            break;
        std::this_thread::sleep_for(100ms);
    } while (Clock::now() < deadline);
    assert_true(status.body.find("\"is_provisioned\":true") != std::string::npos);
    assert_string_equal(json_field(status.body, "device_id").c_str(), pre.node.c_str());
    assert_false(json_field(status.body, "connected_at").empty());
    assert_string_equal(json_field(status.body, "device_state").c_str(), "claimed");
    // The real chip id the device reported replaced the app's temporary one.
    assert_string_equal(json_field(status.body, "chip_id").c_str(), "A4CF12EF5678");
    assert_string_equal(json_field(status.body, "temporary_chip_id").c_str(), "temp_1234567890");

    // Only its owner sees it; a malformed id is 404, not 500.
    AppAccount stranger = create_account("softap-stranger");
    assert_int_equal(api_get("/api/provision/status/" + pre.id, stranger.token).status, 404);
    assert_int_equal(api_get("/api/provision/status/abc123", user.token).status, 404);
    // Someone else's home is not yours to pre-register into.
    HttpResult foreign =
        api_post("/api/provision/register/",
                 "{\"chip_id\":\"x\",\"home_id\":" + std::to_string(home) + "}", stranger.token);
    assert_int_equal(foreign.status, 422);
    assert_string_equal(json_field(foreign.body, "field").c_str(), "home_id");

    // Still provisioned and working after the TTL: only unused ones expire.
    std::this_thread::sleep_for(4s);
    MqttClient again(pre.node, 5);
    device.disconnect_with_will();
    assert_int_equal(connect_device(again, pre.node, pre.password), 0);
}

// The attack: a pre-registration's credential (leaked from the app or the device's setup page)
// used after it expired unused.
void an_unused_pre_registration_expires_with_its_credential(void**) {
    AppAccount user = create_account("softap-late");
    PreRegistration pre = pre_register(user, new_home(user, "Late"));
    std::this_thread::sleep_for(4500ms); // TTL 3 s, swept once a second
    MqttClient late(pre.node, 5);
    assert_int_equal(late.connect(stack_env().mqtt_port, pre.node, pre.password), 135);
    HttpResult status = api_get("/api/provision/status/" + pre.id, user.token);
    assert_true(status.body.find("\"is_expired\":true") != std::string::npos);
    assert_true(status.body.find("\"is_provisioned\":false") != std::string::npos);
    assert_string_equal(json_field(status.body, "device_state").c_str(), "revoked");
}

HttpResult try_pre_register(const AppAccount& user, long long home) {
    return api_post("/api/provision/register/",
                    "{\"chip_id\":\"temp_1\",\"home_id\":" + std::to_string(home) + "}",
                    user.token);
}

void expire_pending(const AppAccount& user) {
    db().exec("UPDATE pre_registrations SET expires_at = now() WHERE user_id ="
              " (SELECT id FROM users WHERE username = $1) AND expired_at IS NULL",
              {user.username});
}

// Each pre-registration is a working credential: at most 5 outstanding per user (expired ones,
// swept or not, no longer count) and 20 attempts an hour; both answer 429 with Retry-After.
void pre_registrations_are_capped_and_rate_limited_per_user(void**) {
    AppAccount user = create_account(unique_id("softap-many"));
    long long home = new_home(user, "Many");
    for (int i = 0; i < 5; ++i) {
        assert_int_equal(try_pre_register(user, home).status, 201);
        // This stack's TTL is 3 s: keep them outstanding however slowly the test runs.
        db().exec("UPDATE pre_registrations SET expires_at = now() + interval '1 hour'"
                  " WHERE user_id = (SELECT id FROM users WHERE username = $1)"
                  " AND expired_at IS NULL",
                  {user.username});
    }
    HttpResult capped = try_pre_register(user, home);
    assert_int_equal(capped.status, 429);
    assert_string_equal(json_field(capped.body, "code").c_str(), "too_many_pending");
    assert_false(capped.header("retry-after").empty());
    // Past expires_at they stop counting at once, before the sweeper marks them.
    expire_pending(user);
    assert_int_equal(try_pre_register(user, home).status, 201);

    // Another user is not affected; this one runs into the hourly limit (7 attempts so far).
    AppAccount other = create_account(unique_id("softap-other"));
    assert_int_equal(try_pre_register(other, new_home(other, "Other")).status, 201);
    int attempts = 7;
    HttpResult last;
    for (; attempts < 30; ++attempts) {
        expire_pending(user);
        last = try_pre_register(user, home);
        if (last.status != 201)
            break;
    }
    assert_int_equal(attempts, 20);
    assert_int_equal(last.status, 429);
    assert_string_equal(json_field(last.body, "code").c_str(), "locked_out");
    assert_false(last.header("retry-after").empty());
}

// A long-expired, never-used pre-registration is deleted with its revoked device when its user
// pre-registers again: nothing accumulates forever.
void long_expired_pre_registrations_are_cleaned_up(void**) {
    AppAccount user = create_account(unique_id("softap-old"));
    long long home = new_home(user, "Old");
    PreRegistration old = pre_register(user, home);
    db().exec("UPDATE pre_registrations SET expires_at = now() - interval '3 days',"
              " expired_at = now() - interval '2 days' WHERE id = $1::uuid",
              {old.id});
    db().exec("UPDATE devices SET state = 'revoked', credential_hash = NULL WHERE id = $1",
              {old.node});
    assert_int_equal(try_pre_register(user, home).status, 201);
    assert_int_equal(db().exec("SELECT 1 FROM devices WHERE id = $1", {old.node}).rows(), 0);
    assert_int_equal(api_get("/api/provision/status/" + old.id, user.token).status, 404);
}

std::vector<std::string> csv_lines(const std::string& path) {
    std::vector<std::string> lines;
    FILE* file = std::fopen(path.c_str(), "r");
    assert_non_null(file);
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, file) != nullptr)
        lines.emplace_back(buffer);
    std::fclose(file);
    return lines;
}

std::string csv_password(const std::string& line) {
    // device_id,mqtt_username,mqtt_client_id,mqtt_password,topic_prefix
    std::size_t at = 0;
    for (int i = 0; i < 3; ++i)
        at = line.find(',', at) + 1;
    return line.substr(at, line.find(',', at) - at);
}

// Seed 003: pi-1 ... pi-N in one command, run again safely: existing devices are skipped (their
// credentials keep working), new ones appended; --rotate re-keys. The CSV is 0600 and the
// database never holds a credential in clear.
void sarangctl_creates_a_fleet_and_can_run_again(void**) {
    std::string csv = std::string(std::getenv("SARANG_TEST_STATE")) + "/fleet.csv";
    std::string output;
    assert_int_equal(run_sarangctl("devices create --kind hydro-sensor --name 'pi-{n}' --from 1"
                                   " --to 5 --csv " +
                                       csv,
                                   output),
                     0);
    struct stat info {};
    assert_int_equal(stat(csv.c_str(), &info), 0);
    assert_int_equal(info.st_mode & 0777, 0600);
    std::vector<std::string> lines = csv_lines(csv);
    assert_int_equal(lines.size(), 6); // header + 5
    assert_true(lines[1].starts_with("pi-1,pi-1,pi-1,"));
    std::string pi1 = csv_password(lines[1]);
    assert_int_equal(pi1.size(), 43);
    assert_string_equal(cell("SELECT count(*)::text FROM devices WHERE credential_hash ="
                             " convert_to($1, 'UTF8') OR name = $1",
                             {pi1})
                            .c_str(),
                        "0");

    assert_int_equal(run_sarangctl("devices create --kind hydro-sensor --name 'pi-{n}' --from 1"
                                   " --to 7 --csv " +
                                       csv,
                                   output),
                     0);
    assert_true(output.find("created 2, re-keyed 0, skipped 5") != std::string::npos);
    lines = csv_lines(csv);
    assert_int_equal(lines.size(), 8);
    assert_true(lines[7].starts_with("pi-7,"));
    MqttClient still("pi-1", 5);
    assert_int_equal(connect_device(still, "pi-1", pi1), 0);
    MqttClient seventh("pi-7", 5);
    assert_int_equal(connect_device(seventh, "pi-7", csv_password(lines[7])), 0);

    assert_int_equal(run_sarangctl("devices create --kind hydro-sensor --name 'pi-{n}' --from 1"
                                   " --to 1 --rotate --csv " +
                                       csv,
                                   output),
                     0);
    assert_true(output.find("created 0, re-keyed 1, skipped 0") != std::string::npos);
    lines = csv_lines(csv);
    assert_int_equal(lines.size(), 9);
    MqttClient rekeyed("pi-1", 5);
    assert_int_equal(connect_device(rekeyed, "pi-1", csv_password(lines[8])), 0);

    // A CSV others can read is refused rather than filled with secrets.
    std::string open_csv = std::string(std::getenv("SARANG_TEST_STATE")) + "/open.csv";
    FILE* file = std::fopen(open_csv.c_str(), "w");
    std::fclose(file);
    chmod(open_csv.c_str(), 0644);
    assert_int_not_equal(run_sarangctl("devices create --kind hydro-sensor --name 'pi-{n}'"
                                       " --from 8 --to 9 --csv " +
                                           open_csv + " 2>&1",
                                       output),
                         0);
    assert_string_equal(
        cell("SELECT count(*)::text FROM devices WHERE id IN ('pi-8', 'pi-9')").c_str(), "0");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(seed_000_auto_register_then_claim),
        cmocka_unit_test(missing_fields_are_422_naming_the_field),
        cmocka_unit_test(auto_register_never_takes_over_an_existing_device),
        cmocka_unit_test(claims_with_wrong_pins_are_limited_per_caller_and_per_user),
        cmocka_unit_test(many_callers_meet_the_devices_ceiling),
        cmocka_unit_test(parallel_wrong_reset_pins_get_at_most_three_verifications),
        cmocka_unit_test(homes_are_per_user),
        cmocka_unit_test(seed_002_softap_pre_registration_is_provisioned_by_the_first_connection),
        cmocka_unit_test(an_unused_pre_registration_expires_with_its_credential),
        cmocka_unit_test(pre_registrations_are_capped_and_rate_limited_per_user),
        cmocka_unit_test(long_expired_pre_registrations_are_cleaned_up),
        cmocka_unit_test(sarangctl_creates_a_fleet_and_can_run_again),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
