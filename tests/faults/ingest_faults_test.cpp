// The ingest path's crash and outage promises (issue #6, issue #12 item 3,
// docs/reliability.md): nothing the broker acknowledged is lost when mosquitto is killed with
// the database away (journal replay), or when PostgreSQL is away for 30 s under load, and
// nothing lands twice.
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

const char* readings_of = "SELECT count(*) FROM readings WHERE device_id = $1";

long long count(const std::string& sql, const std::string& device_id) {
    return db().exec(sql, {device_id}).integer(0, 0);
}

using Device = ConnectedDevice;

void publish(Device& device, const std::string& subtopic, const std::string& payload) {
    assert_true(accepted(device.client->publish("hydro/" + device.id + "/" + subtopic, payload)));
}

// Readings with increasing device timestamps, so each message is one distinct row.
std::string numbered_reading(long long base_ms, int n) {
    return R"({"ph":)" + std::to_string(5 + n % 30 / 10.0) + R"(,"ts":)" +
           std::to_string(base_ms + n) + "}";
}

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void everything_acknowledged_survives_a_sigkill_of_the_broker(void**) {
    Device pi = connect_new_device("pi", "hydro-sensor");
    std::string password_again = create_device(unique_id("spare")); // keeps the snapshot warm
    (void)password_again;
    long long base = now_ms() - 60000;
    // Part acknowledged while PostgreSQL is up (most of it lands before the kill), part while
    // it is down (all of it waits in the journal).
    for (int n = 0; n < 1000; ++n)
        publish(pi, "reading", numbered_reading(base, n));
    stack_control("postgres", "stop");
    for (int n = 1000; n < 1500; ++n)
        publish(pi, "reading", numbered_reading(base, n));
    stack_control("broker", "kill");
    pi.client.reset();
    stack_control("postgres", "start");
    db().disconnect();
    stack_control("broker", "start");
    expect_count_of(readings_of, pi.id, 1500, 30s);
    std::this_thread::sleep_for(1s);
    assert_int_equal(count(readings_of, pi.id), 1500);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (telemetry_counter("journal_pending_messages") != 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_int_equal(telemetry_counter("journal_pending_messages"), 0);
}

void a_30_second_postgresql_outage_under_load_loses_and_doubles_nothing(void**) {
    constexpr int devices = 5;
    std::vector<Device> fleet;
    for (int i = 0; i < devices; ++i)
        fleet.push_back(connect_new_device("pi", "hydro-sensor"));
    std::atomic<bool> running{true};
    std::atomic<int> refused{0};
    std::vector<int> sent(devices, 0);
    long long base = now_ms() - 120000;
    std::thread load([&] {
        while (running) {
            for (int i = 0; i < devices; ++i) {
                std::string topic = "hydro/" + fleet[i].id + "/reading";
                if (accepted(fleet[i].client->publish(topic, numbered_reading(base, sent[i]))))
                    ++sent[i];
                else
                    ++refused;
            }
            std::this_thread::sleep_for(10ms); // about 400 messages a second
        }
    });
    std::this_thread::sleep_for(3s);
    stack_control("postgres", "stop");
    std::this_thread::sleep_for(10s);
    long long waiting = telemetry_counter("journal_pending_messages");
    assert_true(waiting > 100); // the journal holds what PostgreSQL cannot take
    assert_int_equal(telemetry_counter("database_up"), 0);
    std::this_thread::sleep_for(20s);
    stack_control("postgres", "start");
    db().disconnect();
    std::this_thread::sleep_for(3s);
    running = false;
    load.join();
    assert_int_equal(refused.load(), 0); // every publish was acknowledged during the outage
    long long total = 0;
    for (int i = 0; i < devices; ++i) {
        expect_count_of(readings_of, fleet[i].id, sent[i], 30s);
        total += sent[i];
    }
    print_message("%lld readings acknowledged by 5 devices over 36 s, 30 s of it with PostgreSQL"
                  " stopped (%lld held in the journal 10 s in)\n",
                  total, waiting);
    assert_true(total > 30 * 100);
    std::this_thread::sleep_for(1s);
    for (int i = 0; i < devices; ++i)
        assert_int_equal(count(readings_of, fleet[i].id), sent[i]);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(everything_acknowledged_survives_a_sigkill_of_the_broker),
        cmocka_unit_test(a_30_second_postgresql_outage_under_load_loses_and_doubles_nothing),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
