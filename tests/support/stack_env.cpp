#include "stack_env.hpp"

#include "mqtt_client.hpp"
#include "sarang/json.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

namespace sarang::test {

const StackEnv& stack_env() {
    static const StackEnv env = [] {
        auto need = [](const char* name) -> std::string {
            const char* value = std::getenv(name);
            if (value == nullptr) {
                std::fprintf(stderr, "%s is not set: run this test through with_stack.sh\n", name);
                std::exit(2);
            }
            return value;
        };
        StackEnv e;
        e.config_path = need("SARANG_CONFIG");
        e.sarangctl = need("SARANG_TEST_SARANGCTL");
        e.mqtt_port = std::atoi(need("SARANG_TEST_MQTT_PORT").c_str());
        if (const char* port = std::getenv("SARANG_TEST_MQTT_MTLS_PORT"))
            e.mqtt_mtls_port = std::atoi(port);
        if (const char* dir = std::getenv("SARANG_TEST_TLS_DIR")) {
            e.tls_dir = dir;
            e.mtls_server_ca = e.tls_dir + "/ca.crt"; // sarangctl tls init's CA
        }
        e.http_port = std::atoi(need("SARANG_TEST_HTTP_PORT").c_str());
        return e;
    }();
    return env;
}

int run_sarangctl(const std::string& arguments, std::string& output) {
    std::string command =
        stack_env().sarangctl + " --config " + stack_env().config_path + " " + arguments;
    // A test that inspects the tools' own log lines names a file for their stderr.
    if (const char* log = std::getenv("SARANG_TEST_SARANGCTL_LOG"))
        command += std::string(" 2>>") + log;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        return -1;
    output.clear();
    char buffer[1024];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        output.append(buffer, got);
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string password_from_json(const std::string& output) {
    std::string error;
    json::Ptr created = json::parse(output, error);
    json_t* password = created ? json_object_get(created.get(), "password") : nullptr;
    if (!json_is_string(password))
        throw std::runtime_error("no password in sarangctl output: " + output);
    return json_string_value(password);
}

std::string create_device(const std::string& id, const std::string& kind,
                          const std::string& extra_arguments) {
    std::string output;
    int rc = run_sarangctl(
        "devices create --json --kind " + kind + " --name " + id + " " + extra_arguments, output);
    if (rc != 0)
        throw std::runtime_error("sarangctl devices create failed: " + output);
    std::string secret = password_from_json(output);
    // sarangctl exits 0 only once every live broker node has the device (read-your-writes,
    // docs/identity-and-acl.md): one CONNECT at once must be admitted, no retry.
    MqttClient probe(id, 5);
    if (int refused = probe.connect(stack_env().mqtt_port, id, secret); refused != 0)
        throw std::runtime_error("device " + id + " refused (" + std::to_string(refused) +
                                 ") right after sarangctl devices create");
    return secret;
}

bool wait_until_admitted(const std::string& id, const std::string& password,
                         std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        MqttClient probe(id, 5);
        if (probe.connect(stack_env().mqtt_port, id, password) == 0)
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void stack_control(const std::string& part, const std::string& action) {
    const char* root = std::getenv("SARANG_ROOT");
    std::string command = std::string("bash ") + (root ? root : ".") +
                          "/tests/integration/stack_control.sh " + part + " " + action;
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("failed: " + command);
}

pg::Connection& db() {
    static pg::Connection connection(stack_env().config().string("db.dsn"), "integration-test");
    return connection;
}

std::string queue_command_row(const std::string& device_id, const std::string& subtopic,
                              const std::string& payload_json, const std::string& correlation_field,
                              int timeout_s) {
    return std::string(
        db().exec("INSERT INTO commands (device_id, subtopic, payload, correlation, expires_at)"
                  " VALUES ($1, $2, $3::jsonb, $3::jsonb ->> NULLIF($4, ''),"
                  "         now() + make_interval(secs => $5::double precision))"
                  " RETURNING id::text",
                  {device_id, subtopic, payload_json, correlation_field, std::to_string(timeout_s)})
            .text(0, 0));
}

std::string unique_id(const std::string& stem) {
    static std::atomic<int> counter{0};
    return stem + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

long long telemetry_counter(const std::string& name) {
    std::ifstream file(std::string(std::getenv("SARANG_TEST_STATE")) + "/journal/stats.prom");
    std::string line;
    while (std::getline(file, line)) {
        if (line.rfind("sarang_telemetry_" + name + " ", 0) == 0)
            return std::stoll(line.substr(line.find(' ') + 1));
    }
    return -1;
}

void expect_count_of(const std::string& sql, const std::string& param, long long expected,
                     std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    long long seen = -1;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            seen = db().exec(sql, {param}).integer(0, 0);
        } catch (const pg::Error&) {
            db().disconnect(); // PostgreSQL restarting
        }
        if (seen >= expected)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (seen != expected)
        fail_msg("%s for %s: %lld, expected %lld", sql.c_str(), param.c_str(), seen, expected);
}

ConnectedDevice connect_new_device(const std::string& stem, const std::string& kind) {
    ConnectedDevice device{unique_id(stem), nullptr};
    std::string password = create_device(device.id, kind);
    device.client = std::make_unique<MqttClient>(device.id);
    assert_int_equal(device.client->connect(stack_env().mqtt_port, device.id, password), 0);
    return device;
}

} // namespace sarang::test
