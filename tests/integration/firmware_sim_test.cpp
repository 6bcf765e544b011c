// The device side end to end (issue #11, firmware/README.md): sarang-sim runs the firmware's
// DeviceCore and device logic as real MQTT and HTTP clients against the whole stack. Devices
// register themselves with a factory secret, are claimed by a user with their label PINs,
// publish what the telemetry plugin lands, complete a dispense (seed 001), a keypad and a remote
// unlock (seed 004's lock), photograph and upload a parcel (seed 004's box), reuse their state
// file on a rerun, and go offline cleanly on SIGINT. A bulk fleet comes from sarangctl.
#include "api_session.hpp"
#include "http_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

const std::string door_pin = "582039";

std::string scalar(const std::string& sql, const pg::Params& params = {}) {
    pg::Result rows = db().exec(sql, params);
    assert_int_equal(rows.rows(), 1);
    return std::string(rows.text(0, 0));
}

// Waits until check() holds; fails the test with `what` otherwise.
void wait_until(const std::function<bool()>& check, std::chrono::milliseconds timeout,
                const char* what) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!check()) {
        if (std::chrono::steady_clock::now() > deadline)
            fail_msg("timed out waiting for %s", what);
        std::this_thread::sleep_for(100ms);
    }
}

const AppAccount& owner() {
    static AppAccount account = [] {
        AppAccount made = create_account(unique_id("sim-owner"), "admin");
        HttpResult set = api_post(
            "/api/auth/change-door-pin",
            R"({"currentPin":")" + made.pin + R"(","newPin":")" + door_pin + R"("})", made.token);
        assert_int_equal(set.status, 200);
        return made;
    }();
    return account;
}

const std::string& factory_secret_file() {
    static const std::string path = [] {
        std::string output;
        assert_int_equal(run_sarangctl("factory-secret create --label sim --json", output), 0);
        std::string secret = json_field(output, "factory_secret");
        assert_false(secret.empty());
        std::string file = std::string(std::getenv("SARANG_TEST_STATE")) + "/factory-secret";
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(::write(fd, secret.data(), secret.size()),
                         static_cast<ssize_t>(secret.size()));
        ::close(fd);
        return file;
    }();
    return path;
}

struct Sim {
    pid_t pid = -1;
    std::string log;
    std::string state;

    std::string output() const {
        std::ifstream file(log);
        std::stringstream text;
        text << file.rdbuf();
        return text.str();
    }
    void wait_for(const std::string& line, std::chrono::milliseconds timeout = 30s) const {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (output().find(line) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline) {
                print_message("sarang-sim said:\n%s\n", output().c_str());
                fail_msg("sarang-sim never said '%s'", line.c_str());
            }
            std::this_thread::sleep_for(100ms);
        }
    }
    // SIGINT, as a person's Ctrl-C; the exit status.
    int stop() {
        ::kill(pid, SIGINT);
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    // A field of the first device in the state file.
    std::string first_device(const char* field) const {
        std::ifstream file(state);
        std::stringstream text;
        text << file.rdbuf();
        std::string error;
        json::Ptr root = json::parse(text.str(), error);
        json_t* device = json_array_get(json_object_get(root.get(), "devices"), 0);
        const char* value = json_string_value(json_object_get(device, field));
        return value != nullptr ? value : "";
    }
    // The device ids from the state file (factory ids are simulated MACs).
    std::vector<std::string> device_ids() const {
        std::ifstream file(state);
        std::stringstream text;
        text << file.rdbuf();
        std::string error;
        json::Ptr root = json::parse(text.str(), error);
        std::vector<std::string> ids;
        json_t* devices = json_object_get(root.get(), "devices");
        for (size_t i = 0; i < json_array_size(devices); ++i)
            ids.emplace_back(
                json_string_value(json_object_get(json_array_get(devices, i), "device_id")));
        return ids;
    }
};

// Starts sarang-sim against the test's stack. env: NAME=VALUE settings for it.
Sim start_sim(const std::string& stem, std::vector<std::string> arguments,
              const std::vector<std::string>& env = {}, const std::string& state = "") {
    Sim sim;
    std::string dir = std::getenv("SARANG_TEST_STATE");
    sim.log = dir + "/" + unique_id(stem) + ".log";
    sim.state = state.empty() ? dir + "/" + unique_id(stem) + ".json" : state;
    std::vector<std::string> argv = {std::getenv("SARANG_TEST_SIM"),
                                     "--mqtt-port",
                                     std::to_string(stack_env().mqtt_port),
                                     "--http",
                                     "http://127.0.0.1:" + std::to_string(stack_env().http_port),
                                     "--state",
                                     sim.state};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    sim.pid = fork();
    assert_true(sim.pid >= 0);
    if (sim.pid == 0) {
        int fd = ::open(sim.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        for (const std::string& setting : env)
            putenv(const_cast<char*>(setting.c_str()));
        std::vector<char*> raw;
        for (std::string& argument : argv)
            raw.push_back(argument.data());
        raw.push_back(nullptr);
        execv(raw[0], raw.data());
        _exit(127);
    }
    return sim;
}

// Factory registration, then a claim by owner() with each device's label PIN.
Sim start_claimed(const std::string& kind, int count, std::vector<std::string> extra = {},
                  std::vector<std::string> env = {}, const std::string& state = "") {
    std::vector<std::string> arguments = {"--kind",
                                          kind,
                                          "--count",
                                          std::to_string(count),
                                          "--register",
                                          "factory",
                                          "--factory-secret-file",
                                          factory_secret_file(),
                                          "--claim-for",
                                          owner().username};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    env.push_back("SARANG_SIM_TOKEN=" + owner().token);
    Sim sim = start_sim(kind, arguments, env, state);
    sim.wait_for("all " + std::to_string(count) + " " + kind + " device(s) online and claimed");
    return sim;
}

void factory_devices_register_are_claimed_and_their_readings_land(void**) {
    Sim sim = start_claimed("hydro-sensor", 3, {"--rate", "4"});
    std::vector<std::string> ids = sim.device_ids();
    assert_int_equal(ids.size(), 3);
    for (const std::string& id : ids) {
        assert_int_equal(id.size(), 12); // the MAC, colons removed, upper case
        assert_text_equal(
            scalar("SELECT u.username FROM devices d JOIN users u ON u.id = d.owner_id"
                   " WHERE d.id = $1",
                   {id}),
            owner().username);
        assert_text_equal(scalar("SELECT topic_prefix FROM devices WHERE id = $1", {id}),
                          "hydro/" + id);
        wait_until(
            [&] {
                return scalar("SELECT count(*) FROM latest_readings WHERE device_id = $1"
                              " AND metric IN ('tds', 'ph')",
                              {id}) == "2";
            },
            10s, "tds and ph of every probe");
        // Presence is written apart from the readings (the access plugin's writer lingers).
        wait_until(
            [&] {
                return scalar("SELECT online::text FROM devices WHERE id = $1", {id}) == "true";
            },
            5s, "every probe online");
    }
    // Every reading went through the backend's validation: none was rejected, and each was
    // stored at the device's own time (ts), so a redelivery would land once.
    std::string readings = scalar("SELECT count(*) FROM readings WHERE device_id = ANY($1::text[])",
                                  {pg::array_literal(ids)});
    assert_true(std::stoi(readings) >= 6);
    // The user's dashboard lists them.
    HttpResult listed = api_get("/api/v1/devices/?kind=hydro-sensor", owner().token);
    assert_int_equal(listed.status, 200);
    for (const std::string& id : ids)
        assert_true(listed.body.find(id) != std::string::npos);

    std::string registrations =
        scalar("SELECT count(*) FROM audit_log WHERE action = 'auto_register'");
    assert_true(std::stoi(registrations) >= 3);
    // The credentials are in the state file, readable by this user only.
    struct stat info {};
    assert_int_equal(stat(sim.state.c_str(), &info), 0);
    assert_int_equal(info.st_mode & 0777, 0600);
    assert_int_equal(sim.stop(), 0);
    assert_true(sim.output().find("sarang-sim: stopped") != std::string::npos);
    for (const std::string& id : ids) {
        wait_until(
            [&] {
                return scalar("SELECT online::text FROM devices WHERE id = $1", {id}) == "false";
            },
            5s, "offline after SIGINT");
    }
    // A rerun reuses the state file: the same devices connect, nobody registers again.
    Sim again = start_claimed("hydro-sensor", 3, {}, {}, sim.state);
    assert_true(again.device_ids() == ids);
    assert_text_equal(scalar("SELECT count(*) FROM audit_log WHERE action = 'auto_register'"),
                      registrations);
    assert_int_equal(again.stop(), 0);
}

void a_paid_order_is_dispensed_by_a_simulated_machine(void**) {
    Sim sim = start_claimed("vending", 1, {"--dispense-success", "1", "--rate", "1"});
    std::string machine = sim.device_ids().at(0);
    HttpResult slot = http_request(
        stack_env().http_port, "PUT", "/api/v1/vending/machines/" + machine + "/slots/1",
        R"({"price":10000,"capacity":10,"stock":5})", bearer(owner().token));
    assert_int_equal(slot.status, 201);
    std::string order = unique_id("sim-order");
    HttpResult created = api_post("/api/v1/vending/orders",
                                  R"({"machine_id":")" + machine + R"(","slot":1,"order_id":")" +
                                      order + R"(","paid":true})",
                                  owner().token);
    assert_int_equal(created.status, 201);
    HttpResult trigger =
        api_post("/api/dispense/trigger", R"({"order_id":")" + order + R"("})", owner().token);
    assert_int_equal(trigger.status, 202);
    wait_until(
        [&] { return scalar("SELECT status FROM orders WHERE id = $1", {order}) == "COMPLETED"; },
        10s, "the order to complete");
    assert_text_equal(
        scalar("SELECT stock FROM slots WHERE machine_id = $1 AND slot_number = 1", {machine}),
        "4");
    assert_text_equal(scalar("SELECT success::text || ' ' || drop_detected::text FROM dispense_logs"
                             " WHERE order_id = $1",
                             {order}),
                      "true true");
    // The machine echoed the command's id: the outbox row is settled exactly.
    wait_until(
        [&] {
            return scalar(
                       "SELECT state FROM commands WHERE device_id = $1 AND subtopic = 'command'",
                       {machine}) == "acked";
        },
        5s, "the dispense command to be acked");
    // Its telemetry landed too (slot levels from vm/{id}/telemetry).
    wait_until(
        [&] {
            return scalar("SELECT count(*) > 0 FROM latest_readings WHERE device_id = $1"
                          " AND metric = 'temperature'",
                          {machine}) == "t";
        },
        10s, "vending telemetry");
    assert_int_equal(sim.stop(), 0);
}

void the_lock_opens_by_keypad_and_remotely_without_ever_holding_the_pin(void**) {
    Sim sim = start_claimed("door-lock", 1, {}, {"SARANG_SIM_KEYPAD_PIN=" + door_pin});
    std::string lock = sim.device_ids().at(0);
    // The keypad attempt was checked by the broker and the lock opened on its control.
    wait_until(
        [&] {
            return scalar("SELECT count(*) FROM audit_log WHERE action = 'door_keypad'"
                          " AND outcome = 'success' AND detail->>'deviceId' = $1",
                          {lock}) == "1";
        },
        10s, "a successful keypad attempt");
    wait_until(
        [&] {
            return scalar("SELECT count(*) > 0 FROM device_events WHERE device_id = $1"
                          " AND subtopic = 'status' AND payload->>'state' = 'unlocked'"
                          " AND payload->>'method' = 'keypad'",
                          {lock}) == "t";
        },
        10s, "the lock's unlocked status after the keypad");
    HttpResult remote =
        api_post("/api/device/control/door",
                 R"({"pin":")" + door_pin + R"(","deviceId":")" + lock + R"("})", owner().token);
    assert_int_equal(remote.status, 200);
    wait_until(
        [&] {
            return scalar(
                       "SELECT count(*) FROM commands WHERE device_id = $1 AND subtopic = 'control'"
                       " AND state = 'acked' AND result->>'method' = 'remote'",
                       {lock}) == "1";
        },
        10s, "the remote unlock to be acked by the lock's status");
    assert_int_equal(sim.stop(), 0);
}

void a_parcel_is_photographed_and_uploaded_with_the_device_credential(void**) {
    Sim sim = start_claimed("parcel-box", 1, {"--parcel-every", "2"});
    std::string box = sim.device_ids().at(0);
    wait_until(
        [&] {
            return scalar("SELECT count(*) > 0 FROM packages WHERE device_id = $1", {box}) == "t";
        },
        20s, "a package from the box's upload");
    assert_text_equal(
        scalar("SELECT reason FROM packages WHERE device_id = $1 ORDER BY id LIMIT 1", {box}),
        "detect");
    wait_until(
        [&] {
            return scalar("SELECT count(*) > 0 FROM device_events WHERE device_id = $1"
                          " AND subtopic = 'photo/status' AND payload->>'ok' = 'true'",
                          {box}) == "t";
        },
        10s, "photo/status ok");
    HttpResult capture =
        api_post("/api/device/control/capture", R"({"deviceId":")" + box + R"("})", owner().token);
    assert_true(capture.status == 200 || capture.status == 202);
    wait_until(
        [&] {
            return scalar(
                       "SELECT count(*) FROM commands WHERE device_id = $1 AND subtopic = 'control'"
                       " AND state = 'acked'",
                       {box}) == "1";
        },
        15s, "the capture command to be acked");
    assert_true(
        std::stoi(scalar("SELECT count(*) FROM packages WHERE device_id = $1 AND reason = 'manual'",
                         {box})) >= 1);
    assert_int_equal(sim.stop(), 0);
}

void a_bulk_fleet_comes_from_sarangctl_for_an_owner(void**) {
    std::string stem = unique_id("simpi");
    Sim sim =
        start_sim("bulk", {"--kind", "hydro-sensor", "--count", "2", "--name", stem + "-{n}",
                           "--register", "bulk", "--config", stack_env().config_path, "--sarangctl",
                           stack_env().sarangctl, "--owner", owner().username});
    sim.wait_for("all 2 hydro-sensor device(s) online");
    for (const char* n : {"-1", "-2"}) {
        std::string id = stem + n;
        assert_text_equal(
            scalar("SELECT u.username FROM devices d JOIN users u ON u.id = d.owner_id"
                   " WHERE d.id = $1",
                   {id}),
            owner().username);
        wait_until(
            [&] {
                return scalar("SELECT count(*) FROM latest_readings WHERE device_id = $1", {id}) !=
                       "0";
            },
            15s, "a bulk device's reading");
    }
    assert_int_equal(sim.stop(), 0);
}

// Device certificates (issue #19 item 3): the host transport presents the device's certificate
// to the mutual-TLS listener; the reading lands like a password device's.
void a_sim_with_a_device_certificate_publishes_over_mutual_tls(void**) {
    assert_true(stack_env().mqtt_mtls_port > 0);
    std::string stem = unique_id("simcert");
    std::string id = stem + "-1";
    create_device(id);
    std::string dir = std::string(std::getenv("SARANG_TEST_STATE")) + "/sim-certs";
    std::filesystem::create_directories(dir);
    std::string output;
    assert_int_equal(run_sarangctl("devices cert " + id + " --generate --out-dir " + dir, output),
                     0);
    Sim sim = start_sim("cert", {"--kind",      "hydro-sensor",
                                 "--count",     "1",
                                 "--name",      stem + "-{n}",
                                 "--rate",      "4",
                                 "--register",  "bulk",
                                 "--config",    stack_env().config_path,
                                 "--sarangctl", stack_env().sarangctl,
                                 "--mqtt-port", std::to_string(stack_env().mqtt_mtls_port),
                                 "--cafile",    stack_env().mtls_server_ca,
                                 "--cert",      dir + "/{name}.crt",
                                 "--key",       dir + "/{name}.key"});
    sim.wait_for("all 1 hydro-sensor device(s) online");
    wait_until(
        [&] {
            return scalar("SELECT count(*) FROM latest_readings WHERE device_id = $1", {id}) != "0";
        },
        15s, "the certificate device's reading");
    // Presence is written apart from the readings (the access plugin's writer lingers).
    wait_until(
        [&] { return scalar("SELECT online::text FROM devices WHERE id = $1", {id}) == "true"; },
        5s, "the certificate device online");
    assert_int_equal(sim.stop(), 0);
}

// Seed 000's relay: registers itself, is claimed, and switches on a command.
void a_relay_registers_itself_and_answers_a_command(void**) {
    Sim sim = start_claimed("relay", 1);
    std::string relay = sim.device_ids().at(0);
    HttpResult sent = api_post("/api/v1/devices/" + relay + "/commands",
                               R"({"subtopic":"command","payload":{"state":"on"},"timeout_s":30})",
                               owner().token);
    assert_int_equal(sent.status, 202);
    std::string command = json_field(sent.body, "id");
    wait_until(
        [&] {
            return scalar("SELECT state || ' ' || coalesce(result->>'state', '') FROM commands"
                          " WHERE id = $1::uuid",
                          {command}) == "acked on";
        },
        10s, "the relay's answer");
    assert_int_equal(sim.stop(), 0);
}

// Seed 002: the app pre-registers the sensor, the device's SoftAP API takes the mqtt_config,
// the device's first connection provisions it and its chip id replaces the temporary one.
void a_room_sensor_is_set_up_through_its_access_point(void**) {
    Sim sim = start_sim(
        "env", {"--kind", "env-sensor", "--count", "1", "--register", "softap", "--rate", "2"},
        {"SARANG_SIM_TOKEN=" + owner().token});
    sim.wait_for("all 1 env-sensor device(s) online and provisioned");
    std::string node = sim.first_device("device_id");
    std::string chip = sim.first_device("chip_id");
    assert_true(node.starts_with("esp32_"));
    HttpResult status =
        api_get("/api/provision/status/" + sim.first_device("provisioning_id"), owner().token);
    assert_int_equal(status.status, 200);
    assert_text_equal(json_field(status.body, "device_id"), node);
    assert_text_equal(json_field(status.body, "chip_id"), chip);
    assert_text_equal(json_field(status.body, "temporary_chip_id"), "temp_" + chip);
    assert_text_equal(json_field(status.body, "device_state"), "claimed");
    wait_until(
        [&] {
            return scalar("SELECT count(*) FROM latest_readings WHERE device_id = $1"
                          " AND metric IN ('temperature', 'humidity')",
                          {node}) == "2";
        },
        10s, "the room sensor's readings");
    assert_int_equal(sim.stop(), 0);
}

// Seed 003's Pi as a Linux program: the fleet CSV from sarangctl is all it needs.
void the_pi_client_publishes_from_the_fleet_csv(void**) {
    std::string stem = unique_id("rpi");
    std::string csv = std::string(std::getenv("SARANG_TEST_STATE")) + "/" + stem + ".csv";
    std::string output;
    assert_int_equal(run_sarangctl("devices create --kind hydro-sensor --name '" + stem +
                                       "-{n}' --from 1 --to 2 --csv " + csv,
                                   output),
                     0);
    std::string id = stem + "-2";
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        std::string port = std::to_string(stack_env().mqtt_port);
        execl(std::getenv("SARANG_TEST_HYDRO"), "sarang-hydro", "--csv", csv.c_str(), "--name",
              id.c_str(), "--mqtt-port", port.c_str(), "--interval", "1", nullptr);
        _exit(127);
    }
    wait_until(
        [&] {
            return scalar("SELECT count(*) FROM latest_readings WHERE device_id = $1"
                          " AND metric IN ('tds', 'ph')",
                          {id}) == "2";
        },
        15s, "the Pi's tds and ph");
    double ph = std::stod(scalar("SELECT value FROM latest_readings WHERE device_id = $1"
                                 " AND metric = 'ph'",
                                 {id}));
    assert_true(ph > 5 && ph < 7.5);
    ::kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    wait_until(
        [&] { return scalar("SELECT online::text FROM devices WHERE id = $1", {id}) == "false"; },
        5s, "the Pi offline after SIGTERM");
}

void bad_arguments_are_refused_before_anything_happens(void**) {
    Sim sim = start_sim("bad", {"--kind", "toaster"});
    int status = 0;
    waitpid(sim.pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_true(sim.output().find("--kind must be one of") != std::string::npos);
    Sim no_secret = start_sim("bad", {"--kind", "relay", "--register", "factory"});
    waitpid(no_secret.pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 2);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(factory_devices_register_are_claimed_and_their_readings_land),
        cmocka_unit_test(a_paid_order_is_dispensed_by_a_simulated_machine),
        cmocka_unit_test(the_lock_opens_by_keypad_and_remotely_without_ever_holding_the_pin),
        cmocka_unit_test(a_parcel_is_photographed_and_uploaded_with_the_device_credential),
        cmocka_unit_test(a_bulk_fleet_comes_from_sarangctl_for_an_owner),
        cmocka_unit_test(a_sim_with_a_device_certificate_publishes_over_mutual_tls),
        cmocka_unit_test(a_relay_registers_itself_and_answers_a_command),
        cmocka_unit_test(a_room_sensor_is_set_up_through_its_access_point),
        cmocka_unit_test(the_pi_client_publishes_from_the_fleet_csv),
        cmocka_unit_test(bad_arguments_are_refused_before_anything_happens),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
