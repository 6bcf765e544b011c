// The six plugins inside mosquitto under valgrind (issue #12 item 1, docs/reliability.md): the
// broker runs under memcheck (SARANG_BROKER_WRAPPER, set in tests/CMakeLists.txt) while the
// test does real work through every plugin: devices of each kind connect and publish, a
// command goes out and is answered, a device is revoked while connected, an app user reads.
// Then the broker is stopped cleanly and valgrind's own summary must show no memory errors and
// no definite leaks (--errors-for-leak-kinds=definite counts them as errors).
#include "api_session.hpp"
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

// Everything is 20-50 times slower under valgrind.
constexpr auto slow = 60s;

struct Device {
    std::string id;
    std::string password;
    std::string prefix;
};

Device make_device(const std::string& kind, const std::string& prefix_root,
                   const AppAccount& owner) {
    std::string id = unique_id("vg-" + kind);
    std::string output;
    assert_int_equal(run_sarangctl("devices create --json --kind " + kind + " --name " + id +
                                       " --owner " + owner.username,
                                   output),
                     0);
    std::string password = password_from_json(output);
    assert_true(wait_until_admitted(id, password, slow));
    return {id, password, prefix_root + "/" + id};
}

std::unique_ptr<MqttClient> connect(const Device& device) {
    auto client = std::make_unique<MqttClient>(device.id);
    assert_int_equal(client->connect(stack_env().mqtt_port, device.id, device.password, slow), 0);
    return client;
}

long long count(const char* sql, const std::string& id) {
    return db().exec(sql, {id}).integer(0, 0);
}

// Polls until the query's count reaches `at_least`; false when it does not within `timeout`.
bool eventually(const char* sql, const std::string& id, long long at_least,
                std::chrono::seconds timeout = slow) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count(sql, id) < at_least) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

std::string broker_log() {
    std::ifstream file(std::string(std::getenv("SARANG_TEST_STATE")) + "/log/mosquitto.log");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

void every_plugin_works_under_valgrind_without_errors_or_definite_leaks(void**) {
    AppAccount owner = create_account("vg-owner");

    // Access and telemetry: every kind connects and publishes its data.
    Device hydro = make_device("hydro-sensor", "hydro", owner);
    Device env = make_device("env-sensor", "home", owner);
    Device relay = make_device("relay", "relay", owner);
    Device box = make_device("parcel-box", "smartparcel", owner);
    Device lock = make_device("door-lock", "smartparcel", owner);
    Device machine = make_device("vending", "vm", owner);
    auto hydro_client = connect(hydro);
    assert_true(accepted(
        hydro_client->publish(hydro.prefix + "/reading", "{\"ph\":6.8,\"tds\":512}", slow)));
    auto env_client = connect(env);
    assert_true(accepted(env_client->publish(env.prefix + "/reading",
                                             "{\"temperature\":25.5,\"humidity\":60}", slow)));
    auto box_client = connect(box);
    assert_true(
        accepted(box_client->publish(box.prefix + "/sensor/distance", "{\"cm\":12.5}", slow)));
    auto lock_client = connect(lock);
    assert_true(accepted(
        lock_client->publish(lock.prefix + "/alert", "{\"attempts\":5,\"lockout\":true}", slow)));
    // Doorlock: a malformed attempt is answered with a verdict without any PIN check.
    assert_int_equal(lock_client->subscribe(lock.prefix + "/pin/verdict", slow), 1);
    assert_true(accepted(lock_client->publish(lock.prefix + "/pin/attempt", "not json", slow)));
    assert_true(lock_client->wait_message(lock.prefix + "/pin/verdict", slow));
    // Vending: a result for an order nobody placed is refused by the result writer.
    auto machine_client = connect(machine);
    assert_true(accepted(
        machine_client->publish(machine.prefix + "/status", "{\"status\":\"ONLINE\"}", slow)));
    assert_true(accepted(
        machine_client->publish(machine.prefix + "/dispense_result",
                                "{\"orderId\":\"ORD-VG-1\",\"slot\":1,\"success\":true}", slow)));
    // A hostile publish outside the device's prefix is refused (MQTT 5: 135).
    assert_int_equal(hydro_client->publish("hydro/someone-else/reading", "{\"ph\":7}", slow), 135);
    assert_true(eventually("SELECT count(*) FROM readings WHERE device_id = $1", hydro.id, 2));
    assert_true(eventually("SELECT count(*) FROM readings WHERE device_id = $1", env.id, 2));
    assert_true(eventually("SELECT count(*) FROM device_events WHERE device_id = $1", lock.id, 1));

    // Commands: queued over REST, published by the plugin, answered by the relay.
    auto relay_client = connect(relay);
    HttpResult queued = api_post("/api/v1/devices/" + relay.id + "/commands",
                                 "{\"subtopic\":\"command\",\"payload\":{\"on\":true},"
                                 "\"timeout_s\":600}",
                                 owner.token);
    assert_int_equal(queued.status, 202);
    assert_true(relay_client->wait_message(relay.prefix + "/command", slow));
    assert_true(accepted(relay_client->publish(relay.prefix + "/state", "{\"on\":true}", slow)));
    assert_true(eventually("SELECT count(*) FROM commands WHERE device_id = $1 AND state = 'acked'",
                           relay.id, 1));

    // An app user reads its own devices with its session token.
    MqttClient app("app:" + owner.username); // the app client-id rule (identity-and-acl.md)
    assert_int_equal(app.connect(stack_env().mqtt_port, owner.username, owner.token, slow), 0);
    assert_int_equal(app.subscribe(hydro.prefix + "/#", slow), 1);
    assert_true(accepted(hydro_client->publish(hydro.prefix + "/status", "online", slow)));
    assert_true(app.wait_message(hydro.prefix + "/status", slow));

    // Revocation ends a live session.
    std::string output;
    assert_int_equal(run_sarangctl("devices revoke " + env.id, output), 0);
    assert_true(env_client->wait_disconnected(slow));

    // A clean stop: valgrind prints its summaries once every plugin has cleaned up.
    std::string pidfile = std::string(std::getenv("SARANG_TEST_STATE")) + "/run/mosquitto.pid";
    std::ifstream pid_in(pidfile);
    long pid = 0;
    pid_in >> pid;
    assert_true(pid > 0);
    std::remove(pidfile.c_str()); // stopped here; with_stack.sh has nothing left to stop
    assert_int_equal(::kill(static_cast<pid_t>(pid), SIGTERM), 0);
    std::string log;
    auto deadline = std::chrono::steady_clock::now() + 180s;
    while ((log = broker_log()).find("ERROR SUMMARY:") == std::string::npos) {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(200ms);
    }
    // valgrind's figures for the record (docs/reliability.md quotes them).
    std::istringstream summary_lines(log);
    for (std::string line; std::getline(summary_lines, line);)
        if (line.find("in use at exit") != std::string::npos ||
            line.find("lost:") != std::string::npos ||
            line.find("ERROR SUMMARY") != std::string::npos)
            print_message("valgrind: %s\n", line.c_str());
    // "==pid== ERROR SUMMARY: <count> errors from ..."
    std::size_t at = log.find("ERROR SUMMARY: ") + std::strlen("ERROR SUMMARY: ");
    std::string errors = log.substr(at, log.find(' ', at) - at);
    if (errors != "0") {
        // The whole valgrind report goes to the test output.
        std::istringstream lines(log);
        for (std::string line; std::getline(lines, line);)
            if (line.starts_with("=="))
                print_message("%s\n", line.c_str());
    }
    assert_string_equal(errors.c_str(), "0");
    assert_true(log.find("HEAP SUMMARY") != std::string::npos); // the leak check ran
    // Either no leak of any kind, or a summary whose definite count is zero.
    assert_true(log.find("All heap blocks were freed") != std::string::npos ||
                log.find("definitely lost: 0 bytes") != std::string::npos);
}

} // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_plugin_works_under_valgrind_without_errors_or_definite_leaks),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
