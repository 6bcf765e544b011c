// The telemetry plugin with real parts: every data topic of every kind lands in PostgreSQL,
// validated; a message carrying its own timestamp lands once however often it is delivered.
// Its crash and outage promises are proven in tests/faults/ingest_faults_test.cpp.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"

#include "stack_env.hpp"
#include <jansson.h>

#include <atomic>
#include <chrono>
#include <cstdio>
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
    // The copies' direct COPY met the first one's rows: those batches landed deduplicated.
    assert_true(stat_at_least("batches_deduplicated_total", 1) >= 1);
}

// readings is partitioned by day in UTC (sql/0022): readings stamped on both sides of midnight,
// landed in the same batches, go each to its own day's partition, once, however often sent.
void readings_across_a_partition_boundary_land_each_in_its_day_once(void**) {
    Device pi = connect_new_device("pi", "hydro-sensor");
    long long midnight_ms = std::time(nullptr) / 86400 * 86400 * 1000;
    constexpr int per_side = 40;
    for (int copy = 0; copy < 2; ++copy) // the second time: redeliveries
        for (int i = -per_side; i < per_side; ++i)
            publish(pi, "reading",
                    R"({"ph":)" + std::to_string(7.0 + i / 100.0) + R"(,"ts":)" +
                        std::to_string(midnight_ms + i * 1000LL + 250) + "}");
    expect_count_of(readings_of, pi.id, 2 * per_side);
    std::this_thread::sleep_for(300ms); // the redeliveries' batches have landed as well
    assert_int_equal(count(readings_of, pi.id), 2 * per_side);
    assert_int_equal(count("SELECT count(DISTINCT at) FROM readings WHERE device_id = $1", pi.id),
                     2 * per_side);
    // Every row sits in the partition named after its UTC day, none in the default.
    assert_int_equal(count("SELECT count(*) FROM readings WHERE device_id = $1 AND"
                           " tableoid::regclass::text <>"
                           "   to_char(at AT TIME ZONE 'UTC', '\"readings_p\"YYYY_MM_DD')",
                           pi.id),
                     0);
    pg::Result days = db().exec("SELECT count(*) FROM readings WHERE device_id = $1"
                                " GROUP BY tableoid ORDER BY min(at)",
                                {pi.id});
    assert_int_equal(days.rows(), 2);
    assert_int_equal(days.integer(0, 0), per_side);
    assert_int_equal(days.integer(1, 0), per_side);
    assert_int_equal(count("SELECT coalesce(sum(samples), 0) FROM reading_rollups"
                           " WHERE device_id = $1 AND bucket_seconds = 60 AND metric = 'ph'",
                           pi.id),
                     2 * per_side);
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

// Issue #18 item 4: devices epoch time in micro- and nanoseconds lands at that time.
void epoch_micro_and_nanosecond_readings_land_at_their_time(void**) {
    Device pi = connect_new_device("pi", "hydro-sensor");
    long long seconds = std::time(nullptr) - 60;
    publish(pi, "reading", R"({"ph":6.1,"ts":)" + std::to_string(seconds) + "123456}");
    publish(pi, "reading", R"({"ph":6.2,"ts":)" + std::to_string(seconds + 1) + "123456789}");
    expect_count_of(readings_of, pi.id, 2);
    assert_int_equal(count("SELECT count(*) FROM readings WHERE device_id = $1 AND ("
                           "(value = 6.1 AND at = to_timestamp(" +
                               std::to_string(seconds) +
                               ") + interval '123456 microseconds') OR "
                               "(value = 6.2 AND at = to_timestamp(" +
                               std::to_string(seconds + 1) + ") + interval '123456 microseconds'))",
                           pi.id),
                     2);
}

// What a device is told about refused data (docs/telemetry.md "Rejected data"): mosquitto
// 2.0.11 cannot answer 0x99, so a refused QoS 1 message is acknowledged as stored over MQTT
// 3.1.1 and 5 alike; the refusal is counted against the device, including the oversized ones
// the broker thread drops unread.
void refused_data_is_acknowledged_and_counted_for_its_owner(void**) {
    for (int protocol : {4, 5}) {
        std::string id = unique_id("pi");
        std::string password = create_device(id);
        MqttClient client(id, protocol);
        assert_int_equal(client.connect(stack_env().mqtt_port, id, password), 0);
        std::string topic = "hydro/" + id + "/reading";
        assert_true(accepted(client.publish(topic, R"({"ph":"acid"})")));
        for (int i = 0; i < 3; ++i)
            assert_true(accepted(client.publish(topic, std::string(17 * 1024, ' ') + "{}")));
        expect_count_of("SELECT coalesce(sum(count), 0) FROM device_rejections"
                        " WHERE device_id = $1 AND reason = 'oversized'",
                        id, 3);
        expect_count_of("SELECT coalesce(sum(count), 0) FROM device_rejections"
                        " WHERE device_id = $1 AND reason = 'bad_field'",
                        id, 1);
    }
}

std::string state_path(const std::string& relative) {
    const char* state = std::getenv("SARANG_TEST_STATE");
    assert_non_null(state);
    return std::string(state) + "/" + relative;
}

long long log_lines_with(const std::string& a, const std::string& b) {
    std::ifstream log(state_path("log/mosquitto.log"));
    long long lines = 0;
    for (std::string line; std::getline(log, line);)
        lines += line.find(a) != std::string::npos && line.find(b) != std::string::npos;
    return lines;
}

// `messages` lines of `payload` on the device's readings topic at full speed, by Debian's
// mosquitto_pub (-l: one message per line of stdin).
void flood(const std::string& id, const std::string& password, int qos, int messages,
           const std::string& payload) {
    std::string command = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(stack_env().mqtt_port) +
                          " -V 5 -i " + id + " -u " + id + " -P '" + password + "' -q " +
                          std::to_string(qos) + " -t hydro/" + id + "/reading -l";
    std::FILE* pipe = popen(command.c_str(), "w");
    assert_non_null(pipe);
    std::string line = payload + "\n";
    for (int i = 0; i < messages; ++i)
        std::fwrite(line.data(), 1, line.size(), pipe);
    assert_int_equal(pclose(pipe), 0);
}

long long metric_value(const std::string& metrics, const std::string& series) {
    std::size_t at = metrics.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::atoll(metrics.c_str() + at + series.size() + 2);
}

// Issue #18 item 4: 100,000 bad messages from four devices (QoS 0 and 1) cost a handful of log
// lines per device and reason, and every one is counted against its device where its owner
// (GET /api/v1/devices/{id}) and operators (/metrics) see it.
void a_flood_of_bad_data_is_counted_and_logged_sampled(void**) {
    struct Flooder {
        std::string id, password;
        int qos;
        const char* payload;
        const char* reason;
    };
    std::vector<Flooder> flooders;
    const char* bad_field = R"({"ph":"seven"})";
    const char* bad_time = R"({"ph":7,"ts":"yesterday"})";
    for (int i = 0; i < 4; ++i) {
        std::string id = unique_id("pi");
        flooders.push_back({id, create_device(id), i % 2, i < 2 ? bad_field : bad_time,
                            i < 2 ? "bad_field" : "bad_timestamp"});
    }
    constexpr int per_device = 25000;
    auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (const Flooder& f : flooders)
        threads.emplace_back([&f] { flood(f.id, f.password, f.qos, per_device, f.payload); });
    for (std::thread& thread : threads)
        thread.join();
    for (const Flooder& f : flooders)
        expect_count_of(
            "SELECT coalesce(sum(count), 0) FROM device_rejections WHERE device_id = $1", f.id,
            per_device, 30s);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    AppAccount admin = create_account(unique_id("flood-admin"), "admin");
    long long total_lines = 0;
    for (const Flooder& f : flooders) {
        HttpResult device = api_get("/api/v1/devices/" + f.id + "/", admin.token);
        assert_int_equal(device.status, 200);
        json_t* body = json_loads(device.body.c_str(), 0, nullptr);
        assert_non_null(body);
        json_t* rejections = json_object_get(body, "rejections");
        assert_int_equal(json_integer_value(json_object_get(rejections, "count")), per_device);
        auto text = [&](const char* field) {
            const char* value = json_string_value(json_object_get(rejections, field));
            return std::string(value ? value : "");
        };
        assert_string_equal(text("last_reason").c_str(), f.reason);
        assert_string_equal(text("last_sample").c_str(), f.payload);
        assert_string_equal(text("last_source").c_str(), "mqtt");
        json_decref(body);
        long long lines = log_lines_with("from " + f.id + " ", f.reason);
        print_message("%s (QoS %d, %s): %d messages, %lld log lines\n", f.id.c_str(), f.qos,
                      f.reason, per_device, lines);
        assert_true(lines >= 1 && lines <= 3);
        total_lines += lines;
    }
    print_message("flood of %d bad messages: counted in %.1f s, %lld log lines in all\n",
                  4 * per_device, seconds, total_lines);
    HttpResult metrics = http_request(stack_env().http_port, "GET", "/metrics");
    assert_int_equal(metrics.status, 200);
    assert_true(
        metric_value(metrics.body, "sarang_device_data_rejected_total{reason=\"bad_field\"}") >=
        2 * per_device);
    assert_true(
        metric_value(metrics.body, "sarang_device_data_rejected_total{reason=\"bad_timestamp\"}") >=
        2 * per_device);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(every_data_topic_of_every_kind_lands),
        cmocka_unit_test(a_message_with_its_own_timestamp_lands_once_however_often_delivered),
        cmocka_unit_test(readings_across_a_partition_boundary_land_each_in_its_day_once),
        cmocka_unit_test(bad_payloads_are_counted_and_never_written),
        cmocka_unit_test(poisoned_messages_never_stop_the_writer),
        cmocka_unit_test(epoch_micro_and_nanosecond_readings_land_at_their_time),
        cmocka_unit_test(a_flood_of_bad_data_is_counted_and_logged_sampled),
        cmocka_unit_test(refused_data_is_acknowledged_and_counted_for_its_owner),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
