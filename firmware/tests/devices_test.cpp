// The device logic of each folder over fake hardware, driven through the real DeviceCore.
#include "door_lock.hpp"
#include "env_sensor.hpp"
#include "fakes.hpp"
#include "hydro_probe.hpp"
#include "parcel_box.hpp"
#include "vending_machine.hpp"

#include "cmocka.hpp"

#include <deque>

using namespace sarang_fw;

namespace {

// A connected device of `kind` with prefix `prefix`, running `app`.
struct Connected {
    fakes::Clock clock;
    fakes::Random random;
    fakes::Store store;
    fakes::Transport transport;
    std::unique_ptr<DeviceCore> core;
    std::string prefix;

    Connected(DeviceApp& app, const char* kind, const char* id, const char* prefix_)
        : prefix(prefix_) {
        store.values = {{"mqtt_host", "h"}, {"mqtt_port", "1883"}, {"mqtt_client", id},
                        {"mqtt_user", id},  {"mqtt_pass", "pw"},   {"mqtt_prefix", prefix_}};
        CoreConfig config;
        config.kind = kind;
        core = std::make_unique<DeviceCore>(config, app, transport, store, clock, random);
        core->loop();
        transport.up = true;
        core->on_connected(0);
    }
    void command(const char* subtopic, const std::string& payload) {
        core->on_message(prefix + "/" + subtopic, payload);
    }
    std::vector<std::string> sent(const char* subtopic) {
        return transport.payloads_on(prefix + "/" + subtopic);
    }
    void run_for(std::uint64_t ms) {
        for (std::uint64_t end = clock.now + ms; clock.now < end; clock.now += 10)
            core->loop();
    }
};

std::optional<Json> last_json(const std::vector<std::string>& payloads) {
    assert_false(payloads.empty());
    return Json::parse(payloads.back());
}

struct FakeVending : VendingHardware {
    int motor_slot = 0;
    bool drop = false;
    void run_motor(int slot, bool on) override { motor_slot = on ? slot : 0; }
    bool drop_detected() override { return drop; }
    std::vector<messages::SlotLevel> slot_levels() override { return {{1, "FULL"}}; }
    double temperature_c() override { return 6; }
    bool door_closed() override { return true; }
    int rssi() override { return -60; }
};

void a_dispense_runs_the_motor_until_the_drop_and_answers_once(void**) {
    FakeVending hardware;
    VendingMachine machine(hardware, "fw", 60000);
    Connected device(machine, "vending", "VM01", "vm/VM01");
    device.run_for(10);
    assert_int_equal(device.sent("telemetry").size(), 1); // at once when online
    std::string command =
        R"({"cmd":"dispense","slot":2,"orderId":"ORD1","timeoutMs":2150,"id":"c-1"})";
    device.command("command", command);
    assert_int_equal(hardware.motor_slot, 2);
    device.run_for(500);
    assert_true(device.sent("dispense_result").empty());
    device.command("command", command); // redelivered while running: still one dispense
    hardware.drop = true;
    device.run_for(20);
    assert_int_equal(hardware.motor_slot, 0);
    std::optional<Json> result = last_json(device.sent("dispense_result"));
    assert_true(*result->view().boolean("success"));
    assert_true(*result->view().boolean("dropDetected"));
    assert_text_equal(*result->view().string("id"), "c-1");
    assert_text_equal(*result->view().string("orderId"), "ORD1");
    assert_true(*result->view().whole_number("durationMs") >= 500);
    device.command("command", command); // after the answer: the same answer again
    assert_int_equal(device.sent("dispense_result").size(), 2);
}

void no_drop_before_the_timeout_is_a_failed_dispense(void**) {
    FakeVending hardware;
    VendingMachine machine(hardware, "fw", 60000);
    Connected device(machine, "vending", "VM01", "vm/VM01");
    device.command("command", R"({"cmd":"dispense","slot":1,"orderId":"ORD2","timeoutMs":2150})");
    device.run_for(2140);
    assert_true(device.sent("dispense_result").empty());
    device.run_for(20);
    std::optional<Json> result = last_json(device.sent("dispense_result"));
    assert_false(*result->view().boolean("success"));
    assert_text_equal(*result->view().string("error"), "timeout");
    assert_int_equal(hardware.motor_slot, 0);
}

struct FakeLock : LockHardware {
    std::deque<char> keys;
    bool open = false;
    char read_key() override {
        if (keys.empty())
            return 0;
        char key = keys.front();
        keys.pop_front();
        return key;
    }
    void relay(bool on) override { open = on; }
    void show(std::string_view) override {}
    int rssi() override { return -70; }
};

void the_keypad_asks_the_broker_and_opens_only_on_control(void**) {
    FakeLock hardware;
    DoorLock lock(hardware, "fw");
    Connected device(lock, "door-lock", "lock", "smartparcel/lock");
    for (char key : std::string("12*482913#"))
        hardware.keys.push_back(key);
    device.run_for(10);
    std::optional<Json> attempt = last_json(device.sent("pin/attempt"));
    assert_text_equal(*attempt->view().string("pin"), "482913"); // '*' cleared the "12"
    std::string id = *attempt->view().string("attemptId");
    device.command("pin/verdict", R"({"attemptId":")" + id + R"(","ok":true})");
    assert_false(hardware.open); // a verdict is not an unlock
    device.command("control", R"({"action":"unlock","method":"keypad"})");
    assert_true(hardware.open);
    assert_text_equal(*last_json(device.sent("status"))->view().string("state"), "unlocked");
    device.run_for(3010);
    assert_false(hardware.open);
    assert_text_equal(*last_json(device.sent("status"))->view().string("state"), "locked");
}

void a_lockout_verdict_silences_the_keypad_until_it_ends(void**) {
    FakeLock hardware;
    DoorLock lock(hardware, "fw");
    Connected device(lock, "door-lock", "lock", "smartparcel/lock");
    lock.submit(*device.core, "0000");
    std::string id = *last_json(device.sent("pin/attempt"))->view().string("attemptId");
    device.command(
        "pin/verdict",
        R"({"attemptId":")" + id +
            R"(","ok":false,"remainingAttempts":0,"remainingSeconds":30,"error":"locked_out"})");
    device.run_for(10);
    assert_text_equal(lock.display(), "Locked 30 s");
    lock.submit(*device.core, "1111");
    assert_int_equal(device.sent("pin/attempt").size(), 1);
    device.run_for(30000);
    lock.submit(*device.core, "1111");
    assert_int_equal(device.sent("pin/attempt").size(), 2);
}

void a_remote_unlock_is_answered_with_its_id(void**) {
    FakeLock hardware;
    DoorLock lock(hardware, "fw");
    Connected device(lock, "door-lock", "lock-01", "smartparcel/lock-01");
    device.command("settings", R"({"ms":5000})");
    device.command("control", R"({"action":"unlock","method":"remote","id":"c-7"})");
    std::optional<Json> status = last_json(device.sent("status"));
    assert_text_equal(*status->view().string("id"), "c-7");
    assert_text_equal(*status->view().string("method"), "remote");
    device.run_for(4990);
    assert_true(hardware.open);
    device.run_for(20);
    assert_false(hardware.open);
}

struct FakeParcel : ParcelHardware {
    double cm = 40;
    bool holder_open = false, buzzing = false;
    int buzz_changes = 0;
    std::optional<double> distance_cm() override { return cm; }
    std::string capture_jpeg() override { return "\xff\xd8\xff jpeg"; }
    void flash(bool) override {}
    void holder(bool open) override { holder_open = open; }
    void buzzer(bool on) override {
        buzzing = on;
        ++buzz_changes;
    }
    int rssi() override { return -61; }
};

struct FakeHttp : HttpClient {
    std::vector<std::string> metas;
    std::string api_key;
    HttpReply post_photo(const std::string&, const std::string& key, const std::string& jpeg,
                         const std::string& meta) override {
        api_key = key;
        metas.push_back(meta);
        return {jpeg.empty() ? 422 : 200,
                R"({"success":true,"id":1,"photoUrl":"/api/v1/packages/1/photo"})"};
    }
};

void a_parcel_is_photographed_held_and_announced(void**) {
    FakeParcel hardware;
    FakeHttp http;
    ParcelBox box(hardware, http, "http://sidecar/api/v1/packages", "fw");
    Connected device(box, "parcel-box", "box-01", "smartparcel/box-01");
    assert_int_equal(device.sent("settings/cur").size(), 1);
    device.run_for(1000);
    assert_true(http.metas.empty());
    hardware.cm = 17;
    device.run_for(1000);
    assert_text_equal(*last_json(device.sent("event"))->view().string("type"), "detect");
    assert_int_equal(http.metas.size(), 1);
    assert_text_equal(http.api_key, "pw"); // the device credential
    std::optional<Json> meta = Json::parse(http.metas[0]);
    assert_text_equal(*meta->view().string("deviceId"), "box-01");
    assert_true(*last_json(device.sent("photo/status"))->view().boolean("ok"));
    assert_true(hardware.holder_open);
    device.run_for(5000); // lock.ms
    assert_false(hardware.holder_open);
    device.run_for(2000);
    assert_true(hardware.buzz_changes >= 2); // buzzOn/buzzOff rhythm
    device.command("control", R"({"pipeline":"stop","id":"c-3"})");
    assert_false(hardware.buzzing);
    std::optional<Json> ack = last_json(device.sent("control/ack"));
    assert_text_equal(*ack->view().string("action"), "pipeline");
    assert_text_equal(*ack->view().string("id"), "c-3");
    device.run_for(15000);
    assert_int_equal(http.metas.size(), 1); // the same parcel is not a second package
    hardware.cm = 40;
    device.run_for(1000);
    hardware.cm = 18; // the next one is
    device.run_for(1000);
    assert_int_equal(http.metas.size(), 2);
}

void settings_are_checked_applied_and_echoed(void**) {
    FakeParcel hardware;
    FakeHttp http;
    ParcelBox box(hardware, http, "http://sidecar/api/v1/packages", "fw");
    Connected device(box, "parcel-box", "box-01", "smartparcel/box-01");
    device.command("settings/set", R"({"ultra":{"min":10,"max":30},"id":"s-1"})");
    assert_true(*last_json(device.sent("settings/ack"))->view().boolean("ok"));
    assert_int_equal(box.settings().ultra_max_cm, 30);
    assert_int_equal(
        *last_json(device.sent("settings/cur"))->view().field("ultra").whole_number("max"), 30);
    device.command("settings/set", R"({"ultra":{"min":40},"id":"s-2"})");
    assert_false(*last_json(device.sent("settings/ack"))->view().boolean("ok"));
    assert_int_equal(box.settings().ultra_min_cm, 10);
}

struct FixedAdc : Adc {
    std::optional<double> volts(int channel) override { return channel == 0 ? 1.4 : 2.5; }
};

void the_probe_publishes_tds_and_ph_every_interval(void**) {
    FixedAdc adc;
    HydroProbe probe(adc, {}, "fw", 10000);
    Connected device(probe, "hydro-sensor", "pi-1", "hydro/pi-1");
    device.run_for(10); // the fake random puts the first reading at once
    std::vector<std::string> readings = device.sent("reading");
    assert_int_equal(readings.size(), 1);
    device.run_for(9980);
    assert_int_equal(device.sent("reading").size(), 1);
    device.run_for(20);
    assert_int_equal(device.sent("reading").size(), 2);
    std::optional<Json> reading = Json::parse(readings[0]);
    assert_true(*reading->view().number("ph") == 7.0);
    double tds = *reading->view().number("tds");
    assert_true(tds > 500 && tds < 700);
    assert_true(reading->view().number("ts").has_value());
    device.command("config", R"({"interval_s":2})");
    device.run_for(10000);
    assert_true(device.sent("reading").size() >= 5);
}

struct FakeEnv : EnvHardware {
    bool answers = true;
    bool read(double& t, double& h) override {
        t = 27.5;
        h = 61;
        return answers;
    }
    int rssi() override { return -58; }
};

void the_room_sensor_reports_and_names_its_chip(void**) {
    FakeEnv hardware;
    EnvSensor sensor(hardware, "A4CF12EF5678", "fw", 30000);
    Connected device(sensor, "env-sensor", "esp32_3fa92c01d4", "home/esp32_3fa92c01d4");
    assert_text_equal(*last_json(device.sent("status"))->view().string("chip_id"), "A4CF12EF5678");
    device.run_for(10);
    assert_true(*last_json(device.sent("reading"))->view().number("temperature") == 27.5);
    hardware.answers = false;
    device.run_for(30000);
    assert_int_equal(device.sent("reading").size(), 1); // a missed DHT read sends nothing
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_dispense_runs_the_motor_until_the_drop_and_answers_once),
        cmocka_unit_test(no_drop_before_the_timeout_is_a_failed_dispense),
        cmocka_unit_test(the_keypad_asks_the_broker_and_opens_only_on_control),
        cmocka_unit_test(a_lockout_verdict_silences_the_keypad_until_it_ends),
        cmocka_unit_test(a_remote_unlock_is_answered_with_its_id),
        cmocka_unit_test(a_parcel_is_photographed_held_and_announced),
        cmocka_unit_test(settings_are_checked_applied_and_echoed),
        cmocka_unit_test(the_probe_publishes_tds_and_ph_every_interval),
        cmocka_unit_test(the_room_sensor_reports_and_names_its_chip),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
