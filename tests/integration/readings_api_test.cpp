// Seed 003's dashboard API over real HTTP: the device list (filters, ordering, DRF pagination,
// latest values with their levels), one device's readings (seed rows per message, raw pages,
// minute and hour rollups), per-device thresholds, and readings posted by devices with their
// X-API-Key; seed 003's answer shapes field by field (docs/seed-compatibility.md).
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>
#include <vector>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

int http_port() {
    return stack_env().http_port;
}

// A parsed body and lookups by dotted path ("results.0.latest.ph.level").
struct Body {
    json::Ptr root;
    const json_t* at(const std::string& path) const {
        const json_t* here = root.get();
        std::size_t start = 0;
        while (here != nullptr && start <= path.size()) {
            std::size_t dot = path.find('.', start);
            std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
            if (json_is_array(here))
                here = json_array_get(here, std::stoul(key));
            else
                here = json_object_get(here, key.c_str());
            if (dot == std::string::npos)
                break;
            start = dot + 1;
        }
        return here;
    }
    std::string text(const std::string& path) const {
        const char* value = json_string_value(at(path));
        return value ? value : "<none>";
    }
    long long integer(const std::string& path) const { return json_integer_value(at(path)); }
    double number(const std::string& path) const { return json_number_value(at(path)); }
    bool is_null(const std::string& path) const {
        const json_t* value = at(path);
        return value != nullptr && json_is_null(value);
    }
};

Body ok(const HttpResult& result, int status = 200) {
    if (result.status != status)
        print_message("got HTTP %d %s\n", result.status, result.body.c_str());
    assert_int_equal(result.status, status);
    std::string error;
    Body body{json::parse(result.body, error)};
    assert_non_null(body.root.get());
    return body;
}

void assert_error(const HttpResult& result, int status, const char* code) {
    if (result.status != status || json_field(result.body, "code") != code)
        print_message("got HTTP %d %s\n", result.status, result.body.c_str());
    assert_int_equal(result.status, status);
    assert_text_equal(json_field(result.body, "code"), code);
}

void assert_validation(const HttpResult& result, const char* field) {
    assert_error(result, 422, "validation_failed");
    assert_text_equal(json_field(result.body, "field"), field);
}

HttpResult send(const std::string& method, const std::string& path, const std::string& body,
                const std::string& token) {
    return http_request(http_port(), method, path, body, bearer(token));
}

HttpResult post_reading(const std::string& key, const std::string& body,
                        const std::string& path = "/api/v1/readings/") {
    return http_request(http_port(), "POST", path, body, {{"X-API-Key", key}});
}

std::string iso(std::time_t at) {
    std::tm utc{};
    gmtime_r(&at, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

long long stored_readings(const std::string& device) {
    return db().exec("SELECT count(*) FROM readings WHERE device_id = $1", {device}).integer(0, 0);
}

// One user's fleet: three hydro sensors and two env sensors, and a stranger.
struct Fleet {
    AppAccount owner = create_account(unique_id("grower"));
    AppAccount stranger = create_account(unique_id("nosy"));
    std::string tag = unique_id("f"); // in every device id, so searches stay in this fleet
    std::vector<std::string> hydro, env;
    std::vector<std::string> hydro_keys;

    Fleet() {
        for (int i = 1; i <= 3; ++i) {
            hydro.push_back("hy" + std::to_string(i) + "-" + tag);
            hydro_keys.push_back(
                create_device(hydro.back(), "hydro-sensor", "--owner " + owner.username));
        }
        for (int i = 1; i <= 2; ++i) {
            env.push_back("EnvRoom" + std::to_string(i) + "-" + tag);
            create_device(env.back(), "env-sensor", "--owner " + owner.username);
        }
    }
};

Fleet& fleet() {
    static Fleet made;
    return made;
}

void the_device_list_filters_orders_and_paginates(void**) {
    Fleet& f = fleet();
    Body all = ok(api_get("/api/v1/devices/", f.owner.token));
    assert_int_equal(all.integer("count"), 5);
    assert_true(all.is_null("next"));
    assert_true(all.is_null("previous"));
    assert_text_equal(all.text("results.0.id"), f.env[0]); // 'E' sorts before 'h'
    assert_text_equal(all.text("results.0.kind"), "env-sensor");
    assert_text_equal(all.text("results.0.owner"), f.owner.username);
    assert_true(all.is_null("results.0.home"));
    assert_true(all.is_null("results.0.reportedStatus"));
    assert_true(json_is_object(all.at("results.0.latest")));
    assert_true(json_is_boolean(all.at("results.0.online")));

    Body hydro = ok(api_get("/api/v1/devices/?kind=hydro-sensor", f.owner.token));
    assert_int_equal(hydro.integer("count"), 3);
    Body search = ok(api_get("/api/v1/devices/?search=envroom", f.owner.token));
    assert_int_equal(search.integer("count"), 2);
    Body by_id = ok(api_get("/api/v1/devices/?search=HY2-", f.owner.token));
    assert_int_equal(by_id.integer("count"), 1);
    assert_text_equal(by_id.text("results.0.id"), f.hydro[1]);

    Body backwards = ok(api_get("/api/v1/devices/?ordering=-id", f.owner.token));
    assert_text_equal(backwards.text("results.0.id"), f.hydro[2]);
    Body by_name = ok(api_get("/api/v1/devices/?ordering=-name&kind=hydro-sensor", f.owner.token));
    assert_text_equal(by_name.text("results.0.name"), f.hydro[2]);
    assert_text_equal(by_name.text("results.2.name"), f.hydro[0]);
    assert_int_equal(api_get("/api/v1/devices/?ordering=-last_seen", f.owner.token).status, 200);

    // Three pages of two; the links keep the other parameters.
    Body first = ok(api_get("/api/v1/devices/?page_size=2&ordering=id", f.owner.token));
    assert_int_equal(first.integer("count"), 5);
    assert_int_equal(json_array_size(first.at("results")), 2);
    assert_text_equal(first.text("next"), "/api/v1/devices/?page=2&ordering=id&page_size=2");
    assert_true(first.is_null("previous"));
    Body second = ok(api_get(first.text("next"), f.owner.token));
    assert_text_equal(second.text("previous"), "/api/v1/devices/?page=1&ordering=id&page_size=2");
    assert_text_equal(second.text("results.0.id"), f.hydro[0]);
    Body third = ok(api_get(second.text("next"), f.owner.token));
    assert_int_equal(json_array_size(third.at("results")), 1);
    assert_true(third.is_null("next"));
    assert_text_equal(third.text("results.0.id"), f.hydro[2]);
    assert_error(api_get("/api/v1/devices/?page_size=2&page=4", f.owner.token), 404, "not_found");

    // Homes: only the device in the home.
    long long home = db().exec("INSERT INTO homes (owner_id, name) SELECT id, 'Greenhouse'"
                               " FROM users WHERE username = $1 RETURNING id",
                               {f.owner.username})
                         .integer(0, 0);
    db().exec("UPDATE devices SET home_id = $1 WHERE id = $2", {std::to_string(home), f.hydro[0]});
    Body in_home = ok(api_get("/api/v1/devices/?home=" + std::to_string(home), f.owner.token));
    assert_int_equal(in_home.integer("count"), 1);
    assert_text_equal(in_home.text("results.0.home.name"), "Greenhouse");
    assert_int_equal(in_home.integer("results.0.home.id"), home);

    // The stranger sees none of it.
    assert_int_equal(ok(api_get("/api/v1/devices/", f.stranger.token)).integer("count"), 0);
}

void the_status_filter_follows_the_connection(void**) {
    Fleet& f = fleet();
    MqttClient live(f.hydro[2], 5);
    assert_int_equal(live.connect(stack_env().mqtt_port, f.hydro[2], f.hydro_keys[2]), 0);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    Body online;
    do {
        std::this_thread::sleep_for(50ms);
        online = ok(api_get("/api/v1/devices/?status=online", f.owner.token));
    } while (online.integer("count") != 1 && std::chrono::steady_clock::now() < deadline);
    assert_int_equal(online.integer("count"), 1);
    assert_text_equal(online.text("results.0.id"), f.hydro[2]);
    assert_true(json_is_true(online.at("results.0.online")));
    assert_int_equal(ok(api_get("/api/v1/devices/?status=offline", f.owner.token)).integer("count"),
                     4);
}

void bad_parameters_name_their_field(void**) {
    Fleet& f = fleet();
    const std::string& token = f.owner.token;
    assert_validation(api_get("/api/v1/devices/?kind=toaster", token), "kind");
    assert_validation(api_get("/api/v1/devices/?status=sleepy", token), "status");
    assert_validation(api_get("/api/v1/devices/?home=first", token), "home");
    assert_validation(api_get("/api/v1/devices/?ordering=owner", token), "ordering");
    assert_validation(api_get("/api/v1/devices/?page=0", token), "page");
    assert_validation(api_get("/api/v1/devices/?page=x", token), "page");
    assert_validation(api_get("/api/v1/devices/?page_size=501", token), "page_size");
    std::string readings = "/api/v1/devices/" + f.hydro[0] + "/readings/";
    assert_validation(api_get(readings + "?metric=humidity", token), "metric");
    assert_validation(api_get(readings + "?bucket=week", token), "bucket");
    assert_validation(api_get(readings + "?from=yesterday", token), "from");
    assert_validation(
        api_get(readings + "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", token), "from");
    // 30 days of minutes is more than a chart can hold: the answer suggests hours.
    HttpResult too_long = api_get(
        readings + "?bucket=minute&from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z", token);
    assert_validation(too_long, "bucket");
    assert_non_null(std::strstr(too_long.body.c_str(), "bucket=hour"));
    assert_int_equal(
        api_get(readings + "?bucket=hour&from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z", token)
            .status,
        200);
}

void someone_elses_device_is_not_found(void**) {
    Fleet& f = fleet();
    std::string base = "/api/v1/devices/" + f.hydro[0];
    const std::string& token = f.stranger.token;
    assert_error(api_get(base + "/readings/", token), 404, "not_found");
    assert_error(api_get(base + "/readings/?metric=nonsense", token), 404, "not_found");
    assert_error(api_get(base + "/thresholds", token), 404, "not_found");
    assert_error(send("PUT", base + "/thresholds", R"({"ph":{}})", token), 404, "not_found");
    assert_error(send("DELETE", base + "/thresholds/ph", "", token), 404, "not_found");
    assert_error(api_get("/api/v1/devices/no-such-device/readings/", f.owner.token), 404,
                 "not_found");
}

// Known values at known times: ph 6, 7 in one minute and 8 in the next, all in one hour.
std::time_t hour_start() {
    std::time_t now = std::time(nullptr);
    return now - now % 3600 - 3600;
}

void devices_post_readings_with_their_key(void**) {
    Fleet& f = fleet();
    const std::string& device = f.hydro[0];
    const std::string& key = f.hydro_keys[0];
    std::string ts = std::to_string(hour_start());

    assert_error(post_reading(key + "x", R"({"ph": 6.0})"), 401, "unauthorized");
    assert_error(post_reading(f.owner.token, R"({"ph": 6.0})"), 401, "unauthorized");
    // A bad value names its field as the device sent it.
    assert_validation(post_reading(key, R"({"ph": 99})"), "ph");
    assert_validation(post_reading(key, R"({"ph": "acid"})"), "ph");
    assert_validation(post_reading(key, R"({"ph_value": 99})", "/api/readings/"), "ph_value");
    assert_validation(post_reading(key, R"({"tds_value": 5001, "ph_value": 7})"), "tds_value");
    assert_validation(post_reading(key, R"({"ph": 7, "ts": "noon"})"), "ts");
    assert_validation(post_reading(key, R"({"colour": "green"})"), "body");
    assert_int_equal(post_reading(key, "{not json").status, 400);
    assert_int_equal(stored_readings(device), 0);
    // Each refusal is counted against the device, where its owner sees why (issue #18 item 4).
    Body refused = ok(api_get("/api/v1/devices/" + device + "/", f.owner.token));
    assert_int_equal(refused.integer("rejections.count"), 7);
    assert_int_equal(refused.integer("rejections.by_reason.bad_field"), 4);
    assert_int_equal(refused.integer("rejections.by_reason.bad_timestamp"), 1);
    assert_int_equal(refused.integer("rejections.by_reason.no_metric"), 1);
    assert_int_equal(refused.integer("rejections.by_reason.not_json"), 1);
    assert_text_equal(refused.text("rejections.last_reason"), "not_json");
    assert_text_equal(refused.text("rejections.last_sample"), "{not json");
    assert_text_equal(refused.text("rejections.last_source"), "http");
    Body clean = ok(api_get("/api/v1/devices/" + f.hydro[1] + "/", f.owner.token));
    assert_int_equal(clean.integer("rejections.count"), 0);
    assert_true(clean.is_null("rejections.last_reason"));

    // The seed's field names, at the seed's path.
    Body created = ok(post_reading(key, R"({"tds_value": 500, "ph_value": 6.0, "ts": )" + ts + "}",
                                   "/api/readings/"),
                      201);
    assert_text_equal(created.text("device_id"), device);
    assert_int_equal(created.integer("created"), 2);
    assert_true(created.number("values.tds") == 500.0);
    assert_true(created.number("values.ph") == 6.0);
    assert_text_equal(created.text("at").substr(0, 19), iso(hour_start()).substr(0, 19));
    // ... and seed 003's SensorReading beside them.
    assert_text_equal(created.text("raspberry_pi"), device);
    assert_text_equal(created.text("timestamp"), created.text("at"));
    assert_true(created.number("tds_value") == 500.0);
    assert_true(created.number("ph_value") == 6.0);
    assert_text_equal(created.text("status"), "normal");
    assert_text_equal(created.text("levels.ph"), "normal");

    Body repeat = ok(post_reading(key, R"({"tds_value": 500, "ph_value": 6.0, "ts": )" + ts + "}"));
    assert_int_equal(repeat.integer("created"), 0);
    assert_int_equal(stored_readings(device), 2);

    ok(post_reading(key, R"({"ph": 7.0, "ts": )" + std::to_string(hour_start() + 10) + "}"), 201);
    ok(post_reading(key, R"({"ph": 8.0, "ts": )" + std::to_string(hour_start() + 70) + "}"), 201);
    assert_int_equal(stored_readings(device), 4);

    // A kind without a readings topic has nothing to post.
    std::string relay = unique_id("lamp");
    std::string relay_key = create_device(relay, "relay");
    assert_validation(post_reading(relay_key, R"({"on": true})"), "body");
}

void readings_come_raw_or_rolled_up(void**) {
    Fleet& f = fleet();
    std::string base = "/api/v1/devices/" + f.hydro[0] +
                       "/readings/?from=" + iso(hour_start() - 60) +
                       "&to=" + iso(hour_start() + 3599);
    const std::string& token = f.owner.token;

    Body raw = ok(api_get(base + "&bucket=raw&page_size=3", token));
    assert_text_equal(raw.text("bucket"), "raw");
    assert_int_equal(raw.integer("count"), 4);
    assert_int_equal(json_array_size(raw.at("results")), 3);
    assert_text_equal(raw.text("results.0.metric"), "ph"); // newest first
    assert_true(raw.number("results.0.value") == 8.0);
    assert_text_equal(raw.text("results.0.level"), "critical");
    assert_false(raw.is_null("next"));
    assert_true(raw.is_null("previous"));
    assert_true(raw.number("thresholds.ph.normal.low") == 5.5);
    assert_text_equal(raw.text("thresholds.ph.source"), "default");
    Body rest = ok(api_get(raw.text("next"), token));
    assert_int_equal(json_array_size(rest.at("results")), 1);
    assert_true(rest.is_null("next"));

    Body ph = ok(api_get(base + "&metric=ph", token));
    assert_int_equal(ph.integer("count"), 3);
    assert_text_equal(ph.text("metric"), "ph");
    assert_null(ph.at("thresholds.tds"));

    Body minutes = ok(api_get(base + "&bucket=minute", token));
    assert_text_equal(minutes.text("bucket"), "minute");
    assert_int_equal(json_array_size(minutes.at("series.ph")), 2);
    assert_text_equal(minutes.text("series.ph.0.at"), iso(hour_start()).substr(0, 19) + ".000Z");
    assert_true(std::fabs(minutes.number("series.ph.0.avg") - 6.5) < 1e-9);
    assert_true(minutes.number("series.ph.0.min") == 6.0);
    assert_true(minutes.number("series.ph.0.max") == 7.0);
    assert_int_equal(minutes.integer("series.ph.0.samples"), 2);
    assert_true(minutes.number("series.ph.1.avg") == 8.0);
    assert_int_equal(json_array_size(minutes.at("series.tds")), 1);
    assert_int_equal(json_array_size(minutes.at("series.temperature")), 0);

    Body hours = ok(api_get(base + "&bucket=hour&metric=ph", token));
    assert_int_equal(json_array_size(hours.at("series.ph")), 1);
    assert_true(std::fabs(hours.number("series.ph.0.avg") - 7.0) < 1e-9);
    assert_true(hours.number("series.ph.0.min") == 6.0);
    assert_true(hours.number("series.ph.0.max") == 8.0);
    assert_int_equal(hours.integer("series.ph.0.samples"), 3);
    assert_null(hours.at("series.tds"));
}

// Seed 003 (shared/seeds/003, the Raspberry Pi pH/TDS dashboard) names these fields:
//   class RaspberryPi:   id, name, location, status, last_online  (+ the serializer's last_reading)
//   class SensorReading: raspberry_pi (FK), timestamp, tds_value, ph_value, status
// and pages like Django REST Framework: {count, next, previous, results}.
const std::vector<std::string> seed_page = {"count", "next", "previous", "results"};
const std::vector<std::string> seed_device = {"id",     "name",        "location",
                                              "status", "last_online", "last_reading"};
const std::vector<std::string> seed_reading = {"raspberry_pi", "timestamp", "tds_value", "ph_value",
                                               "status"};

void assert_fields(const Body& body, const std::string& path,
                   const std::vector<std::string>& fields) {
    for (const std::string& field : fields) {
        if (body.at(path.empty() ? field : path + "." + field) == nullptr)
            fail_msg("no %s in %s", field.c_str(), path.c_str());
    }
}

// Hy1's messages from devices_post_readings_with_their_key: tds 500 + ph 6 at the hour, ph 7 ten
// seconds later, ph 8 a minute after that.
void the_seed_readings_come_one_row_per_message(void**) {
    Fleet& f = fleet();
    const std::string& token = f.owner.token;
    for (const char* prefix : {"/api/devices/", "/api/v1/devices/"}) {
        std::string path = prefix + f.hydro[0] + "/readings/";
        Body page = ok(api_get(path + "?timestamp__gte=" + iso(hour_start() - 60) +
                                   "&timestamp__lte=" + iso(hour_start() + 3599) + "&page_size=2",
                               token));
        assert_fields(page, "", seed_page);
        assert_text_equal(page.text("bucket"), "reading");
        assert_int_equal(page.integer("count"), 3);
        assert_int_equal(json_array_size(page.at("results")), 2);
        assert_fields(page, "results.0", {"raspberry_pi", "timestamp", "ph_value", "status"});
        assert_text_equal(page.text("results.0.raspberry_pi"), f.hydro[0]);
        assert_text_equal(page.text("results.0.device"), f.hydro[0]);
        assert_text_equal(page.text("results.0.timestamp").substr(0, 19),
                          iso(hour_start() + 70).substr(0, 19)); // newest first
        assert_true(page.number("results.0.ph_value") == 8.0);
        assert_null(page.at("results.0.tds_value")); // that message had no tds
        assert_text_equal(page.text("results.0.status"), "critical");
        assert_true(page.number("results.0.values.ph") == 8.0); // Sarang's fields stay
        assert_text_equal(page.text("results.0.levels.ph"), "critical");
        assert_true(page.number("results.1.ph_value") == 7.0);
        assert_text_equal(page.text("results.1.status"), "warning");
        assert_text_equal(page.text("next").substr(0, path.size() + 7), path + "?page=2");
        assert_true(page.is_null("previous"));

        Body last = ok(api_get(page.text("next"), token));
        assert_int_equal(json_array_size(last.at("results")), 1);
        assert_fields(last, "results.0", seed_reading);
        assert_true(last.number("results.0.tds_value") == 500.0);
        assert_true(last.number("results.0.ph_value") == 6.0);
        assert_text_equal(last.text("results.0.status"), "normal");
        assert_text_equal(last.text("results.0.timestamp").substr(0, 19),
                          iso(hour_start()).substr(0, 19));
        assert_true(last.is_null("next"));
    }
    std::string path = "/api/devices/" + f.hydro[0] + "/readings/";
    // start_date / end_date too; a range that holds only the oldest message.
    Body oldest = ok(api_get(path + "?start_date=" + iso(hour_start() - 60) +
                                 "&end_date=" + iso(hour_start() + 5) + "&ordering=timestamp",
                             token));
    assert_int_equal(oldest.integer("count"), 1);
    assert_validation(api_get(path + "?timestamp__gte=soon", token), "timestamp__gte");
    assert_validation(api_get(path + "?bucket=reading&metric=ph", token), "metric");
    // The per-metric modes are unchanged, and other kinds keep the generic rows.
    assert_text_equal(ok(api_get(path + "?metric=ph", token)).text("bucket"), "raw");
    Body env = ok(api_get("/api/devices/" + f.env[0] + "/readings/", token));
    assert_text_equal(env.text("bucket"), "raw");
    assert_error(api_get(path, f.stranger.token), 404, "not_found");
}

void the_seed_device_and_latest_rows(void**) {
    Fleet& f = fleet();
    const std::string& token = f.owner.token;
    Body devices = ok(api_get("/api/devices/?kind=hydro-sensor", token));
    assert_fields(devices, "", seed_page);
    assert_int_equal(devices.integer("count"), 3);
    assert_fields(devices, "results.0", seed_device);
    assert_text_equal(devices.text("results.0.id"), f.hydro[0]);
    assert_text_equal(devices.text("results.0.status"), "offline");
    assert_text_equal(devices.text("results.0.location"), "Greenhouse"); // its home
    assert_true(devices.is_null("results.1.last_reading"));              // never reported
    assert_fields(devices, "results.0.last_reading",
                  {"raspberry_pi", "timestamp", "ph_value", "status"});
    assert_true(devices.number("results.0.last_reading.ph_value") == 8.0);
    assert_text_equal(devices.text("results.0.last_reading.status"), "critical");
    assert_text_equal(devices.text("results.0.last_reading.timestamp").substr(0, 19),
                      iso(hour_start() + 70).substr(0, 19));
    assert_true(devices.number("results.0.latest.ph.value") == 8.0); // Sarang's fields stay
    Body env = ok(api_get("/api/v1/devices/?kind=env-sensor", token));
    assert_null(env.at("results.0.last_reading"));
    assert_null(env.at("results.0.status"));

    // The device that went online in the_status_filter_follows_the_connection saw a last_online.
    Body seen = ok(api_get("/api/v1/devices/?search=" + f.hydro[2], token));
    assert_text_equal(seen.text("results.0.last_online"), seen.text("results.0.lastSeenAt"));
    assert_false(seen.is_null("results.0.last_online"));

    for (const char* path : {"/api/readings/latest/", "/api/v1/readings/latest/"}) {
        Body latest = ok(api_get(path, token));
        assert_fields(latest, "", seed_page);
        assert_int_equal(latest.integer("count"), 1); // only hy1 has reported
        assert_fields(latest, "results.0", seed_reading);
        assert_fields(latest, "results.0", {"device", "name"});
        assert_text_equal(latest.text("results.0.raspberry_pi"), f.hydro[0]);
        assert_text_equal(latest.text("results.0.name"), f.hydro[0]);
        assert_true(latest.number("results.0.tds_value") == 500.0);
        assert_true(latest.number("results.0.ph_value") == 8.0);
        assert_text_equal(latest.text("results.0.status"), "critical");
        // Sarang's earlier key still holds every row.
        assert_text_equal(latest.text("readings.0.device_id"), f.hydro[0]);
        assert_true(latest.number("readings.0.values.tds") == 500.0);
    }
    assert_error(api_get("/api/readings/latest/?page=2", token), 404, "not_found");
}

// The level of the device's newest ph (8.0) in both fleet views.
std::string ph_level(const Fleet& f) {
    Body devices = ok(api_get("/api/v1/devices/?search=" + f.hydro[0], f.owner.token));
    Body latest = ok(api_get("/api/v1/readings/latest/", f.owner.token));
    std::string from_latest;
    for (std::size_t i = 0; i < json_array_size(latest.at("readings")); ++i) {
        if (latest.text("readings." + std::to_string(i) + ".device_id") == f.hydro[0]) {
            from_latest = latest.text("readings." + std::to_string(i) + ".levels.ph");
            assert_true(latest.number("readings." + std::to_string(i) + ".ph_value") == 8.0);
        }
    }
    assert_text_equal(devices.text("results.0.latest.ph.level"), from_latest);
    assert_true(devices.number("results.0.latest.ph.value") == 8.0);
    return from_latest;
}

void thresholds_change_the_levels_shown(void**) {
    Fleet& f = fleet();
    std::string path = "/api/v1/devices/" + f.hydro[0] + "/thresholds";
    const std::string& token = f.owner.token;

    Body defaults = ok(api_get(path, token));
    assert_text_equal(defaults.text("kind"), "hydro-sensor");
    assert_text_equal(defaults.text("thresholds.ph.source"), "default");
    assert_true(defaults.number("thresholds.ph.warning.high") == 7.0);
    assert_non_null(defaults.at("thresholds.tds"));
    assert_non_null(defaults.at("thresholds.rssi"));
    assert_text_equal(ph_level(f), "critical");

    assert_validation(send("PUT", path, R"({"humidity": {"normal": {}, "warning": {}}})", token),
                      "humidity");
    assert_validation(
        send("PUT", path, R"({"ph": {"normal": {"low": 4}, "warning": {"low": 5}}})", token),
        "ph.normal.low");
    assert_validation(
        send("PUT", path, R"({"ph": {"normal": {"low": "6"}, "warning": {}}})", token),
        "ph.normal.low");
    assert_validation(
        send("PUT", path, R"({"ph": {"normal": {"low": 7, "high": 6}, "warning": {}}})", token),
        "ph.normal");
    assert_validation(send("PUT", path, R"({"ph": {"normal": {}}})", token), "ph.warning");
    assert_validation(send("PUT", path, "{}", token), "body");
    assert_text_equal(ok(api_get(path, token)).text("thresholds.ph.source"), "default");

    Body set = ok(send("PUT", path,
                       R"({"ph": {"normal": {"low": 6, "high": 9}, "warning": {"low": 5,
                           "high": null}}})",
                       token));
    assert_text_equal(set.text("thresholds.ph.source"), "device");
    assert_true(set.number("thresholds.ph.normal.high") == 9.0);
    assert_true(set.is_null("thresholds.ph.warning.high"));
    assert_text_equal(set.text("thresholds.tds.source"), "default");
    assert_text_equal(ok(api_get(path, token)).text("thresholds.ph.source"), "device");
    assert_text_equal(ph_level(f), "normal");

    ok(send("PUT", path, R"({"ph": {"normal": {"low": 6, "high": 7.5}, "warning": {"low": 5,
                           "high": 8.5}}})",
            token));
    assert_text_equal(ph_level(f), "warning");

    assert_validation(send("DELETE", path + "/humidity", "", token), "metric");
    Body reset = ok(send("DELETE", path + "/ph", "", token));
    assert_text_equal(reset.text("thresholds.ph.source"), "default");
    assert_text_equal(ph_level(f), "critical");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_device_list_filters_orders_and_paginates),
        cmocka_unit_test(the_status_filter_follows_the_connection),
        cmocka_unit_test(bad_parameters_name_their_field),
        cmocka_unit_test(someone_elses_device_is_not_found),
        cmocka_unit_test(devices_post_readings_with_their_key),
        cmocka_unit_test(readings_come_raw_or_rolled_up),
        cmocka_unit_test(the_seed_readings_come_one_row_per_message),
        cmocka_unit_test(the_seed_device_and_latest_rows),
        cmocka_unit_test(thresholds_change_the_levels_shown),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
