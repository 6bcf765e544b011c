// Issue #6's "done when", end to end: 99 Raspberry Pi probes (seed 003's pi-1 ... pi-99), each
// publishing a reading every second over MQTT, show up live on the grower's stream and in the
// REST API with their latest values.
#include "api_session.hpp"
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "sse_client.hpp"
#include "stack_env.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

constexpr int fleet_size = 99;
constexpr int rounds = 5;

struct Probe {
    std::string id;
    std::string password;
};

// sarangctl devices bulk-create, then the fleet is given to the grower.
std::vector<Probe> register_fleet(const std::string& owner) {
    std::string csv = "/tmp/sarang-fleet-" + std::to_string(getpid()) + ".csv";
    std::string output;
    int status = run_sarangctl("devices bulk-create --kind hydro-sensor --name-prefix pi- --from 1"
                               " --to " +
                                   std::to_string(fleet_size) + " --csv " + csv,
                               output);
    assert_int_equal(status, 0);
    std::vector<Probe> fleet;
    std::ifstream file(csv);
    std::string line;
    std::getline(file, line); // header
    while (std::getline(file, line)) {
        std::vector<std::string> fields;
        std::stringstream row(line);
        for (std::string field; std::getline(row, field, ',');)
            fields.push_back(field);
        fleet.push_back({fields.at(0), fields.at(3)});
    }
    ::unlink(csv.c_str());
    assert_int_equal(fleet.size(), fleet_size);
    db().exec("UPDATE devices SET owner_id = (SELECT id FROM users WHERE username = $1)"
              " WHERE kind = 'hydro-sensor'",
              {owner});
    return fleet;
}

json::Ptr parse(const std::string& text) {
    std::string error;
    json::Ptr value = json::parse(text, error);
    if (!value)
        fail_msg("not JSON (%s): %.200s", error.c_str(), text.c_str());
    return value;
}

void ninety_nine_pis_publishing_every_second_show_up_live_through_the_api(void**) {
    AppAccount grower = create_account("grower");
    std::vector<Probe> fleet = register_fleet(grower.username);

    SseClient stream(stack_env().http_port, "/api/v1/stream", bearer(grower.token));
    assert_int_equal(stream.status(), 200);
    std::optional<SseEvent> snapshot = stream.next(5s);
    assert_true(snapshot && snapshot->name == "snapshot");
    assert_int_equal(json_array_size(json_object_get(parse(snapshot->data).get(), "devices")),
                     fleet_size);

    std::vector<std::unique_ptr<MqttClient>> clients;
    for (const Probe& probe : fleet) {
        clients.push_back(std::make_unique<MqttClient>(probe.id, 4));
        assert_int_equal(clients.back()->connect(stack_env().mqtt_port, probe.id, probe.password),
                         0);
    }
    // Every second each probe sends its reading, as seed 003's Raspberry Pi client does.
    std::set<std::string> seen_live;
    for (int round = 0; round < rounds; ++round) {
        auto next_round = std::chrono::steady_clock::now() + 1s;
        for (std::size_t i = 0; i < clients.size(); ++i) {
            char payload[96];
            std::snprintf(payload, sizeof payload, R"({"tds":%d,"ph":%.2f})",
                          500 + static_cast<int>(i), 6.0 + round * 0.1);
            assert_true(
                accepted(clients[i]->publish("hydro/" + fleet[i].id + "/reading", payload)));
        }
        while (std::chrono::steady_clock::now() < next_round) {
            std::optional<SseEvent> event = stream.next(50ms);
            if (event && event->name == "device") {
                json::Ptr device = parse(event->data);
                if (json_object_get(json_object_get(device.get(), "values"), "ph") != nullptr)
                    seen_live.insert(json_string_value(json_object_get(device.get(), "id")));
            }
        }
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (seen_live.size() < fleet.size() && std::chrono::steady_clock::now() < deadline) {
        std::optional<SseEvent> event = stream.next(200ms);
        if (event && event->name == "device") {
            json::Ptr device = parse(event->data);
            if (json_object_get(json_object_get(device.get(), "values"), "ph") != nullptr)
                seen_live.insert(json_string_value(json_object_get(device.get(), "id")));
        }
    }
    assert_int_equal(seen_live.size(), fleet_size);

    // Every reading lands once; then the views show the last round.
    auto landed = [&] {
        return db()
            .exec("SELECT count(*) FROM readings r JOIN devices d ON d.id = r.device_id"
                  " WHERE d.kind = 'hydro-sensor'")
            .integer(0, 0);
    };
    deadline = std::chrono::steady_clock::now() + 10s;
    while (landed() < fleet_size * rounds * 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_int_equal(landed(), fleet_size * rounds * 2);

    // The fleet view: all 99, online, with the last round's values and their levels.
    HttpResult devices =
        api_get("/api/v1/devices/?kind=hydro-sensor&page_size=100&ordering=name", grower.token);
    assert_int_equal(devices.status, 200);
    json::Ptr page = parse(devices.body);
    assert_int_equal(json_integer_value(json_object_get(page.get(), "count")), fleet_size);
    std::size_t index;
    json_t* device;
    json_array_foreach(json_object_get(page.get(), "results"), index, device) {
        assert_true(json_is_true(json_object_get(device, "online")));
        json_t* ph = json_object_get(json_object_get(device, "latest"), "ph");
        assert_non_null(ph);
        assert_float_equal(json_real_value(json_object_get(ph, "value")), 6.4, 1e-9);
        assert_string_equal(json_string_value(json_object_get(ph, "level")), "normal");
        // Seed 003's RaspberryPi row: the newest message as its last_reading.
        assert_string_equal(json_string_value(json_object_get(device, "status")), "online");
        json_t* last = json_object_get(device, "last_reading");
        assert_float_equal(json_real_value(json_object_get(last, "ph_value")), 6.4, 1e-9);
        double tds = json_real_value(json_object_get(last, "tds_value"));
        assert_true(tds >= 500 && tds < 500 + fleet_size);
        assert_string_equal(json_string_value(json_object_get(last, "status")), "normal");
    }
    // Seed 003's per-device history: one row per message, newest first.
    HttpResult history =
        api_get("/api/devices/" + fleet[0].id + "/readings/?page_size=" + std::to_string(rounds),
                grower.token);
    assert_int_equal(history.status, 200);
    json::Ptr rows = parse(history.body);
    assert_int_equal(json_integer_value(json_object_get(rows.get(), "count")), rounds);
    json_t* results = json_object_get(rows.get(), "results");
    for (int round = 0; round < rounds; ++round) {
        json_t* row = json_array_get(results, static_cast<std::size_t>(rounds - 1 - round));
        assert_float_equal(json_real_value(json_object_get(row, "ph_value")), 6.0 + round * 0.1,
                           1e-9);
        assert_float_equal(json_real_value(json_object_get(row, "tds_value")), 500, 1e-9);
        assert_string_equal(json_string_value(json_object_get(row, "status")), "normal");
    }

    // Latest: a DRF page of 50 of the 99, and every one under Sarang's earlier key.
    HttpResult latest = api_get("/api/readings/latest/", grower.token);
    json::Ptr newest = parse(latest.body);
    assert_int_equal(json_integer_value(json_object_get(newest.get(), "count")), fleet_size);
    assert_int_equal(json_array_size(json_object_get(newest.get(), "results")), 50);
    assert_string_equal(json_string_value(json_object_get(newest.get(), "next")),
                        "/api/readings/latest/?page=2");
    assert_int_equal(json_array_size(json_object_get(newest.get(), "readings")), fleet_size);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(ninety_nine_pis_publishing_every_second_show_up_live_through_the_api),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
