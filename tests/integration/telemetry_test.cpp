// The telemetry plugin with real parts: every data topic of every kind lands in PostgreSQL,
// validated; a message carrying its own timestamp lands once however often it is delivered.
// Its crash and outage promises are proven in tests/faults/ingest_faults_test.cpp.
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

long long count(const std::string& sql, const std::string& device_id) {
    return db().exec(sql, {device_id}).integer(0, 0);
}

// The counters file is rewritten every second: waits up to 5 s for a counter to reach `least`.
long long stat_at_least(const std::string& name, long long least) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    long long value = telemetry_counter(name);
    while (value < least && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
        value = telemetry_counter(name);
    }
    return value;
}

using Device = ConnectedDevice;

void publish(Device& device, const std::string& subtopic, const std::string& payload) {
    std::string root = device.id.substr(0, device.id.find('-'));
    static const std::map<std::string, std::string> prefix_roots{
        {"vm", "vm"},    {"box", "smartparcel"}, {"lock", "smartparcel"},
        {"env", "home"}, {"pi", "hydro"},        {"relay", "relay"}};
    std::string topic = prefix_roots.at(root) + "/" + device.id + "/" + subtopic;
    assert_true(accepted(device.client->publish(topic, payload)));
}

const char* readings_of = "SELECT count(*) FROM readings WHERE device_id = $1";
const char* events_of = "SELECT count(*) FROM device_events WHERE device_id = $1";

void every_data_topic_of_every_kind_lands(void**) {
    Device vm = connect_new_device("vm", "vending");
    publish(vm, "telemetry",
            R"({"slots":[{"id":1,"level":"FULL"},{"id":2,"level":"LOW"}],"temperature":25.5,)"
            R"("door":"CLOSED"})");
    publish(vm, "status", R"({"status":"ONLINE","door":"CLOSED","rssi":-65,"fw":"1.0.0"})");
    publish(vm, "dispense_result", R"({"orderId":"ORD1","slot":1,"success":true})"); // not data
    expect_count_of(readings_of, vm.id, 2); // temperature, rssi
    expect_count_of(events_of, vm.id, 2);   // the telemetry payload, the first status
    pg::Result telemetry =
        db().exec("SELECT payload->'slots'->1->>'level' FROM device_events WHERE device_id = $1"
                  " AND subtopic = 'telemetry'",
                  {vm.id});
    assert_string_equal(std::string(telemetry.text(0, 0)).c_str(), "LOW");
    pg::Result status = db().exec(
        "SELECT online::text, payload->>'fw' FROM device_reported_status WHERE device_id = $1",
        {vm.id});
    assert_string_equal(std::string(status.text(0, 0)).c_str(), "true");
    assert_string_equal(std::string(status.text(0, 1)).c_str(), "1.0.0");

    Device box = connect_new_device("box", "parcel-box");
    publish(box, "status", "online"); // seed 004: a bare string
    publish(box, "sensor/distance", R"({"cm":17})");
    publish(box, "event", R"({"type":"detect","cm":17})");
    publish(box, "photo/status", R"({"ok":true,"photoUrl":"/uploads/a.jpg"})");
    expect_count_of(readings_of, box.id, 2); // distance twice
    expect_count_of(events_of, box.id, 3);   // status, event, photo/status
    publish(box, "status", "offline");       // the device's own word, beside transport presence
    expect_count_of("SELECT count(*) FROM device_reported_status WHERE device_id = $1"
                    " AND online = false AND payload = '\"offline\"'",
                    box.id, 1);
    // Transport presence is the access plugin's presence writer, a worker of its own: wait for
    // it rather than assume it landed before the telemetry writer's batch.
    expect_count_of("SELECT count(*) FROM devices WHERE id = $1 AND online", box.id, 1);

    Device lock = connect_new_device("lock", "door-lock");
    publish(lock, "status", R"({"state":"unlocked","method":"remote"})");
    publish(lock, "alert", R"({"attempts":5,"lockout":true})");
    expect_count_of(events_of, lock.id, 2);
    expect_count_of("SELECT count(*) FROM device_reported_status WHERE device_id = $1"
                    " AND online IS NULL",
                    lock.id, 1);

    Device env = connect_new_device("env", "env-sensor");
    publish(env, "reading", R"({"temperature":28.1,"humidity":61})");
    expect_count_of(readings_of, env.id, 2);

    Device relay = connect_new_device("relay", "relay");
    publish(relay, "state", R"({"on":true})");
    expect_count_of(events_of, relay.id, 1);

    // Derived data: latest values and per-minute and per-hour rollups.
    expect_count_of("SELECT count(*) FROM latest_readings WHERE device_id = $1", env.id, 2);
    expect_count_of("SELECT count(*) FROM reading_rollups WHERE device_id = $1", env.id, 4);
    assert_true(count("SELECT count(*) FROM devices WHERE id = $1 AND last_seen_at IS NOT NULL",
                      env.id) == 1);
}

void a_message_with_its_own_timestamp_lands_once_however_often_delivered(void**) {
    Device pi = connect_new_device("pi", "hydro-sensor");
    // A QoS 1 redelivery after a lost PUBACK is a new PUBLISH to the broker with the same bytes.
    const std::string payload =
        R"({"ph":6.8,"tds":512,"ts":)" + std::to_string(std::time(nullptr) * 1000 - 5000) + "}";
    for (int copy = 0; copy < 3; ++copy)
        publish(pi, "reading", payload);
    publish(pi, "reading", R"({"ph":7.0})"); // without ts: the broker's time, always new
    expect_count_of(readings_of, pi.id, 3);
    std::this_thread::sleep_for(500ms);
    assert_int_equal(count(readings_of, pi.id), 3);
    assert_int_equal(count("SELECT coalesce(sum(samples), 0) FROM reading_rollups"
                           " WHERE device_id = $1 AND bucket_seconds = 60 AND metric = 'ph'",
                           pi.id),
                     2);
    assert_true(stat_at_least("readings_duplicate_total", 4) >= 4);
}

void bad_payloads_are_counted_and_never_written(void**) {
    Device pi = connect_new_device("pi", "hydro-sensor");
    long long rejected_before = telemetry_counter("messages_rejected_total");
    for (const char* bad : {R"({"ph":15})", R"({"ph":"7"})", "not json", R"({"tds":-3})",
                            R"([1,2])", R"({"ph":7,"ts":"yesterday"})", ""})
        publish(pi, "reading", bad);
    publish(pi, "status", "sleepy");
    publish(pi, "reading", R"({"ph":6.5})"); // a barrier: everything before went through too
    expect_count_of(readings_of, pi.id, 1);
    assert_int_equal(count(events_of, pi.id), 0);
    assert_int_equal(stat_at_least("messages_rejected_total", rejected_before + 8),
                     rejected_before + 8);
}

// Issue #21 item 2: poisoned messages (not UTF-8, huge, wrong JSON types, a \u0000 that jsonb
// refuses) cost at most themselves; the good message after them lands.
void poisoned_messages_never_stop_the_writer(void**) {
    Device pi = connect_new_device("pi", "hydro-sensor");
    publish(pi, "reading", "\xFF\xFE\xFD\xFC");
    publish(pi, "status", "{\"status\":\"\xC3(\"}");
    publish(pi, "reading", R"({"ph":7,"note":")" + std::string(15 * 1024, 'n') + "\"}");
    publish(pi, "reading", R"({"ph":[7],"tds":{"a":1},"ts":true})");
    publish(pi, "status", R"({"status":"ONLINE","note":"a\u0000b"})");
    publish(pi, "reading", R"({"ph":6.25})");
    // The long note is no reason to refuse its ph: that reading lands too.
    expect_count_of(readings_of, pi.id, 2);
    assert_int_equal(
        count("SELECT count(*) FROM readings WHERE device_id = $1 AND value = 6.25", pi.id), 1);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(every_data_topic_of_every_kind_lands),
        cmocka_unit_test(a_message_with_its_own_timestamp_lands_once_however_often_delivered),
        cmocka_unit_test(bad_payloads_are_counted_and_never_written),
        cmocka_unit_test(poisoned_messages_never_stop_the_writer),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
