// The walking skeleton end to end, with real parts: a device with its credential publishes a
// reading through mosquitto and the plugins into PostgreSQL, and the sidecar serves it. Wrong
// credentials are refused at CONNECT and a device cannot write under another device's prefix.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <thread>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

constexpr int refused_v311 = 5; // CONNACK "not authorised"
constexpr int refused_v5 = 135; // 0x87 Not authorized
constexpr int denied_v5 = 135;  // PUBACK 0x87

long long reading_rows(const std::string& device_id) {
    return db()
        .exec("SELECT count(*) FROM readings WHERE device_id = $1", {device_id})
        .integer(0, 0);
}

// The readings API needs a session; an admin sees every device.
const std::string& admin_token() {
    static const std::string token = create_account("skeleton-admin", "admin").token;
    return token;
}

// The device's entry in GET /api/v1/readings/latest/, waiting up to `timeout` for it.
json::Ptr latest_entry(const std::string& device_id, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        HttpResult result = api_get("/api/v1/readings/latest/", admin_token());
        assert_int_equal(result.status, 200);
        std::string error;
        json::Ptr body = json::parse(result.body, error);
        assert_non_null(body.get());
        size_t index;
        json_t* entry;
        json_array_foreach(json_object_get(body.get(), "readings"), index, entry) {
            if (std::string(json_string_value(json_object_get(entry, "device_id"))) == device_id)
                return json::Ptr(json_incref(entry));
        }
        std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return nullptr;
}

// Publishes a valid reading and waits for it: everything the device sent before has then been
// through the writer too, so "nothing was written" can be asserted without sleeping.
void barrier_reading(MqttClient& client, const std::string& id, double ph) {
    char payload[64];
    std::snprintf(payload, sizeof payload, "{\"ph\":%.2f}", ph);
    assert_true(accepted(client.publish("hydro/" + id + "/reading", payload)));
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (db().exec("SELECT 1 FROM readings WHERE device_id = $1 AND metric = 'ph' AND value = $2",
                     {id, std::to_string(ph)})
               .rows() == 0) {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(20ms);
    }
}

void reading_with_right_credential_lands_and_is_served_over_rest(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    for (int protocol : {5, 4}) {
        MqttClient client(id, protocol);
        assert_int_equal(client.connect(stack_env().mqtt_port, id, password), 0);
        assert_true(
            accepted(client.publish("hydro/" + id + "/reading", R"({"tds":512.3,"ph":6.8})")));
    }
    json::Ptr entry = latest_entry(id);
    assert_non_null(entry.get());
    json_t* values = json_object_get(entry.get(), "values");
    assert_float_equal(json_number_value(json_object_get(values, "tds")), 512.3, 1e-9);
    assert_float_equal(json_number_value(json_object_get(values, "ph")), 6.8, 1e-9);
    assert_float_equal(json_number_value(json_object_get(entry.get(), "tds_value")), 512.3, 1e-9);
    assert_text_equal(json_string_value(json_object_get(entry.get(), "kind")), "hydro-sensor");
    // Two messages of two metrics each; last_seen_at follows the newest.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (reading_rows(id) < 4 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    assert_int_equal(reading_rows(id), 4);
    assert_false(db().exec("SELECT last_seen_at FROM devices WHERE id = $1", {id}).is_null(0, 0));
}

void wrong_or_unknown_credentials_are_refused_at_connect(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    {
        MqttClient v311(id, 4);
        assert_int_equal(v311.connect(stack_env().mqtt_port, id, password + "x"), refused_v311);
    }
    {
        MqttClient v5(id, 5);
        assert_int_equal(v5.connect(stack_env().mqtt_port, id, "wrong"), refused_v5);
    }
    {
        MqttClient empty(id, 5);
        assert_int_equal(empty.connect(stack_env().mqtt_port, id, ""), refused_v5);
    }
    {
        // Another device's valid password does not open this one.
        std::string other = unique_id("pi");
        std::string other_password = create_device(other);
        MqttClient swapped(id, 5);
        assert_int_equal(swapped.connect(stack_env().mqtt_port, id, other_password), refused_v5);
    }
    {
        MqttClient stranger("nobody", 4);
        assert_int_equal(stranger.connect(stack_env().mqtt_port, "nobody", "x"), refused_v311);
    }
    assert_int_equal(reading_rows(id), 0);
}

void client_id_must_equal_device_id(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    MqttClient hijacker("not-" + id, 5);
    assert_int_equal(hijacker.connect(stack_env().mqtt_port, id, password), refused_v5);
}

void publishing_under_another_devices_prefix_is_denied_and_not_written(void**) {
    std::string attacker = unique_id("pi");
    std::string victim = unique_id("pi");
    std::string password = create_device(attacker);
    create_device(victim);
    MqttClient client(attacker, 5);
    assert_int_equal(client.connect(stack_env().mqtt_port, attacker, password), 0);
    assert_int_equal(client.publish("hydro/" + victim + "/reading", R"({"ph":7.0})"), denied_v5);
    // Its own prefix, but a direction its kind does not have.
    assert_int_equal(client.publish("hydro/" + attacker + "/config", R"({"ph":7.0})"), denied_v5);
    assert_int_equal(client.publish("$SYS/broker/x", "1"), denied_v5);
    barrier_reading(client, attacker, 7.25);
    assert_int_equal(reading_rows(victim), 0);
    assert_null(latest_entry(victim, 0ms).get());
}

void malformed_or_out_of_range_readings_are_not_written(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    MqttClient client(id, 5);
    assert_int_equal(client.connect(stack_env().mqtt_port, id, password), 0);
    for (const char* bad : {R"({"ph":15})", "garbage", R"({"tds":"high"})", R"([1,2])", ""})
        assert_true(accepted(client.publish("hydro/" + id + "/reading", bad)));
    barrier_reading(client, id, 6.5);
    assert_int_equal(reading_rows(id), 1); // only the barrier's ph
}

void revoking_a_device_disconnects_it_within_a_second(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    MqttClient client(id, 5);
    assert_int_equal(client.connect(stack_env().mqtt_port, id, password), 0);
    auto revoked_at = std::chrono::steady_clock::now();
    db().exec("UPDATE devices SET state = 'revoked' WHERE id = $1", {id});
    assert_true(client.wait_disconnected(2s));
    auto took = std::chrono::steady_clock::now() - revoked_at;
    assert_true(took < 1s);
    MqttClient again(id, 5);
    assert_int_equal(again.connect(stack_env().mqtt_port, id, password), refused_v5);
}

void a_device_created_after_a_refusal_can_connect_at_once(void**) {
    // No cached denial: a refusal before the device existed does not outlive its creation.
    std::string id = unique_id("pi");
    {
        MqttClient early(id, 5);
        assert_int_equal(early.connect(stack_env().mqtt_port, id, "guess"), refused_v5);
    }
    auto created = std::chrono::steady_clock::now();
    create_device(id); // returns once the broker admits the device, throws after 3 s
    assert_true(std::chrono::steady_clock::now() - created < 2s);
}

// Issue #21 item 2: all nine database workers of the broker run under a supervisor and core's
// DbLoop, whose heartbeat puts them in worker_status; the sidecar serves every one on /metrics.
void every_database_worker_reports_on_metrics(void**) {
    const char* workers[][2] = {{"access", "sarang-access"},     {"access", "sarang-presence"},
                                {"commands", "sarang-cmd-send"}, {"commands", "sarang-cmd-ack"},
                                {"doorlock", "sarang-doorlock"}, {"provision", "sarang-provsec"},
                                {"provision", "sarang-provreg"}, {"telemetry", "sarang-telem"},
                                {"vending", "sarang-vending"}};
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (db().exec("SELECT count(*) FROM worker_status").integer(0, 0) < 9 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    HttpResult metrics = http_request(stack_env().http_port, "GET", "/metrics");
    assert_int_equal(metrics.status, 200);
    // The line of a series with these labels, or "".
    auto line_of = [&](const std::string& name, const std::string& labels) {
        for (std::size_t at = metrics.body.find(name + "{"); at != std::string::npos;
             at = metrics.body.find(name + "{", at + 1)) {
            std::string line = metrics.body.substr(at, metrics.body.find('\n', at) - at);
            if (line.find(labels) != std::string::npos)
                return line;
        }
        return std::string();
    };
    for (const auto& [plugin, worker] : workers) {
        std::string labels = std::string("plugin=\"") + plugin + "\",worker=\"" + worker + "\"}";
        for (const char* name :
             {"sarang_worker_restarts_total", "sarang_worker_poisoned_items_total",
              "sarang_worker_heartbeat_age_seconds"}) {
            if (line_of(name, labels).empty())
                fail_msg("/metrics lacks %s{...%s", name, labels.c_str());
        }
        assert_true(line_of("sarang_worker_restarts_total", labels).ends_with("} 0"));
    }
}

void sidecar_reports_health_and_json_errors(void**) {
    HttpResult health = http_request(stack_env().http_port, "GET", "/healthz");
    assert_int_equal(health.status, 200);
    // The broker plugins' workers follow (docs/reliability.md, "Database workers").
    assert_true(health.body.starts_with(
        R"({"status":"ok","database":"ok","workers":{"status":"ok","restartedRecently":[],)"));
    HttpResult missing = http_request(stack_env().http_port, "GET", "/api/v1/nothing");
    assert_int_equal(missing.status, 404);
    assert_non_null(std::strstr(missing.body.c_str(), R"("code":"not_found")"));
    HttpResult wrong =
        http_request(stack_env().http_port, "POST", "/api/v1/readings/latest/", "{}");
    assert_int_equal(wrong.status, 405);
    HttpResult seed_path = api_get("/api/readings/latest/", admin_token());
    assert_int_equal(seed_path.status, 200);
    // The seed served readings to anyone; here they need a session.
    assert_int_equal(http_request(stack_env().http_port, "GET", "/api/readings/latest/").status,
                     401);
    HttpResult huge = http_request(stack_env().http_port, "POST", "/api/v1/readings/latest/",
                                   std::string(70000, 'x'));
    assert_int_equal(huge.status, 413);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(reading_with_right_credential_lands_and_is_served_over_rest),
        cmocka_unit_test(wrong_or_unknown_credentials_are_refused_at_connect),
        cmocka_unit_test(client_id_must_equal_device_id),
        cmocka_unit_test(publishing_under_another_devices_prefix_is_denied_and_not_written),
        cmocka_unit_test(malformed_or_out_of_range_readings_are_not_written),
        cmocka_unit_test(revoking_a_device_disconnects_it_within_a_second),
        cmocka_unit_test(a_device_created_after_a_refusal_can_connect_at_once),
        cmocka_unit_test(sidecar_reports_health_and_json_errors),
        cmocka_unit_test(every_database_worker_reports_on_metrics),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
