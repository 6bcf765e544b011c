#pragma once
// What integration/with_stack.sh tells a test about the stack it started.
#include "sarang/config.hpp"
#include "sarang/pg.hpp"

#include "mqtt_client.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace sarang::test {

struct StackEnv {
    std::string config_path; // the stack's sarang.conf
    std::string sarangctl;   // path of the built sarangctl
    int mqtt_port = 0;
    int http_port = 0;
    // Device certificates: the mutual-TLS listener, the TLS folder (device-ca.crt and .key
    // beside sarangctl tls init's files) and the CA of the listener's server certificate.
    int mqtt_mtls_port = 0;
    std::string tls_dir;
    std::string mtls_server_ca;

    Config config() const { return Config::load_file(config_path); }
};

// Reads the environment; aborts the test program when it is not run by with_stack.sh.
const StackEnv& stack_env();

// One connection to the stack's database for the test program (tests read and arrange state
// with it; it reconnects after a PostgreSQL restart on its next use).
pg::Connection& db();

// Queues a command the way the sidecar's own routes do (enqueue_command: a commands row, whose
// triggers add the payload's "id" and NOTIFY the broker), for topics that the generic commands
// route refuses (door unlocks, dispenses, stored settings: docs/commands.md). `correlation_field`
// is the kind table's for the topic (empty: none). Returns the command's id.
std::string queue_command_row(const std::string& device_id, const std::string& subtopic,
                              const std::string& payload_json,
                              const std::string& correlation_field = "", int timeout_s = 60);

// Runs sarangctl against the stack; returns its exit status and fills stdout. Its stderr (its
// log lines) goes to the file named by $SARANG_TEST_SARANGCTL_LOG when that is set.
int run_sarangctl(const std::string& arguments, std::string& output);

// Creates a device with sarangctl, waits until the broker admits it, and returns its one-time
// MQTT password.
std::string create_device(const std::string& id, const std::string& kind = "hydro-sensor",
                          const std::string& extra_arguments = "");

// Probes with fresh MQTT clients (a refused libmosquitto handle does not connect again cleanly)
// until the broker admits the device or the timeout passes; true when admitted.
bool wait_until_admitted(const std::string& id, const std::string& password,
                         std::chrono::milliseconds timeout);

// The password printed by a sarangctl command run with --json.
std::string password_from_json(const std::string& output);

// Runs tests/integration/stack_control.sh (part: postgres|broker, action: stop|start); aborts
// the test on failure.
void stack_control(const std::string& part, const std::string& action);

// A counter the telemetry plugin writes next to its journal (stats.prom, rewritten every
// second): sarang_telemetry_<name>; -1 when absent.
long long telemetry_counter(const std::string& name);

// Waits until `sql` (one count; $1 = `param`) reaches `expected`, riding out a PostgreSQL
// restart, then fails the test unless it is exactly `expected`.
void expect_count_of(const std::string& sql, const std::string& param, long long expected,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A device made with create_device (unique id from `stem`) and connected as itself over MQTT 5.
struct ConnectedDevice {
    std::string id;
    std::unique_ptr<MqttClient> client;
};
ConnectedDevice connect_new_device(const std::string& stem, const std::string& kind);

// A device id no other test uses.
std::string unique_id(const std::string& stem);

} // namespace sarang::test
