// Malformed payloads on every topic a device may publish (issue #12, item 4). For each kind's
// every publishable subtopic (core/src/device_kinds.cpp, read through all_kinds(), so a new topic
// is swept without editing this test), a real device publishes payloads that are not JSON,
// binary, empty, too deep, not an object, too big, of the wrong type or out of range. The broker
// must stay up, no table may change, and every one must be counted where operators look: the
// telemetry journal's stats.prom for data topics, the plugins' log lines for the others.
#include "bad_inputs.hpp"
#include "db_checksum.hpp"
#include "mqtt_client.hpp"
#include "sarang/device_kinds.hpp"
#include "stack_env.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::vector<ChecksumException> expected_changes = {
    {"access_nodes",
     {"applied_barrier", "heartbeat_at"},
     "each broker node beats every second and records the barriers it applied"},
    {"device_presence", {}, "the sweep's devices connect: presence history is written by design"},
    {"device_rejections", {}, "refused data is counted per device and reason by design"},
    {"devices",
     {"online", "online_node", "last_seen_at", "last_connected_at", "last_disconnected_at"},
     "connection state and last contact follow the device's connection"},
    {"worker_status",
     {"heartbeat_at"},
     "each plugin's database worker beats every few seconds, whatever the requests"},
};

struct Payload {
    std::string label;
    std::string bytes;
    // Over 1 KiB, the smallest limit (a door lock's attempt): a plugin that drops a message
    // unread for its size logs the first of a flood, not each one.
    bool oversized = false;
};

std::string state_file(const std::string& relative) {
    const char* state = std::getenv("SARANG_TEST_STATE");
    assert_non_null(state);
    return std::string(state) + "/" + relative;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// messages_rejected_total + oversized_total from the telemetry plugin's stats.prom.
long long telemetry_refused() {
    std::string stats = read_all(state_file("journal/stats.prom"));
    long long total = 0;
    for (const char* name :
         {"\nsarang_telemetry_messages_rejected_total ", "\nsarang_telemetry_oversized_total "}) {
        size_t at = stats.find(name);
        if (at == std::string::npos)
            fail_msg("stats.prom lacks %s", name + 1);
        total += std::atoll(stats.c_str() + at + std::strlen(name));
    }
    return total;
}

long long log_lines_with(const std::string& needle) {
    std::ifstream log(state_file("log/mosquitto.log"));
    long long count = 0;
    for (std::string line; std::getline(log, line);)
        count += line.find(needle) != std::string::npos;
    return count;
}

// The log line each plugin writes for a refused message of this subtopic, or "" for data topics
// (counted in stats.prom).
std::string refusal_line(const KindSpec& kind, std::string_view subtopic,
                         const std::string& device) {
    if (kind.data_topic(subtopic) != nullptr)
        return "";
    if (subtopic == "dispense_result")
        return "rejected dispense_result from " + device;
    if (subtopic == "pin/attempt")
        return "malformed attempt from " + device;
    if (kind.is_ack_topic(subtopic))
        return "answer from " + device + " on '";
    fail_msg("%s/%s: no known counter for this topic; teach the sweep where it is counted",
             std::string(kind.name).c_str(), std::string(subtopic).c_str());
    return "";
}

std::string type_mismatch(FieldType type) {
    return type == FieldType::string ? "5" : "\"wrong\"";
}

std::vector<Payload> payloads_for(const KindSpec& kind, std::string_view subtopic) {
    std::vector<Payload> out = {
        {"not JSON", R"({"a":)"},
        {"binary", std::string("\x00\xff\xfe\x01\x80", 5)},
        {"empty", ""},
        {"nesting 500 deep", std::string(500, '[') + std::string(500, ']')},
        {"nesting past the parser's limit", std::string(3000, '[') + std::string(3000, ']'), true},
        {"array", "[1,2,3]"},
        {"number", "42"},
        {"too big", std::string(70 * 1024, '{'), true},
    };
    if (const DataTopic* data = kind.data_topic(subtopic)) {
        out.push_back({"unknown time", R"({"ts":"yesterday"})"});
        out.push_back({"time beyond 64 bits", R"({"ts":1e400})"});
        for (const MetricSpec& metric : data->metrics) {
            std::string field(metric.json_field());
            out.push_back({field + " as text", "{\"" + field + "\":\"7\"}"});
            out.push_back({field + " above range",
                           "{\"" + field + "\":" + std::to_string(metric.max + 1) + "}"});
            out.push_back({field + " below range",
                           "{\"" + field + "\":" + std::to_string(metric.min - 1) + "}"});
        }
        for (const FieldSpec& field : data->fields) {
            out.push_back(
                {std::string(field.name) + " of the wrong type",
                 "{\"" + std::string(field.name) + "\":" + type_mismatch(field.type) + "}"});
        }
    } else if (subtopic == "dispense_result") {
        out.push_back({"orderId as number", R"({"orderId":5,"success":true})"});
        out.push_back({"success as text", R"({"orderId":"x","success":"yes"})"});
        out.push_back({"SQL in orderId", R"({"orderId":"'; DROP TABLE orders;--","success":1})"});
    } else if (subtopic == "pin/attempt") {
        out.push_back({"pin as number", R"({"pin":123456,"attemptId":"a"})"});
        out.push_back({"no pin", R"({"attemptId":"a"})"});
    }
    return out;
}

struct SweptDevice {
    const KindSpec* kind;
    std::string id, prefix;
    std::unique_ptr<MqttClient> client;
};

void malformed_payloads_are_counted_and_never_written(void**) {
    std::vector<SweptDevice> devices;
    for (const KindSpec& kind : all_kinds()) {
        SweptDevice device{&kind, unique_id(std::string(kind.prefix_root)), "", nullptr};
        std::string password = create_device(device.id, std::string(kind.name));
        device.prefix = default_topic_prefix(kind, device.id);
        device.client = std::make_unique<MqttClient>(device.id, 5);
        assert_int_equal(device.client->connect(stack_env().mqtt_port, device.id, password), 0);
        devices.push_back(std::move(device));
    }
    print_exceptions(expected_changes);
    std::this_thread::sleep_for(1s); // presence of the connections lands before the baseline
    TableChecksums before = table_checksums(expected_changes);
    long long stats_before = telemetry_refused();

    long long sent = 0, data_sent = 0;
    std::map<std::string, std::pair<std::string, long long>> expected_lines; // line -> base, sent
    std::map<std::string, long long> lines_before;
    for (SweptDevice& device : devices) {
        for (std::string_view subtopic : device.kind->publishes) {
            std::string line = refusal_line(*device.kind, subtopic, device.id);
            if (!line.empty() && !lines_before.contains(line))
                lines_before[line] = log_lines_with(line);
            std::string topic = device.prefix + "/" + std::string(subtopic);
            for (const Payload& payload : payloads_for(*device.kind, subtopic)) {
                int puback = device.client->publish(topic, payload.bytes);
                if (!accepted(puback))
                    fail_msg("%s '%s': PUBACK %d", topic.c_str(), payload.label.c_str(), puback);
                ++sent;
                if (line.empty())
                    ++data_sent;
                else
                    ++expected_lines[line].second; // sampled: one line per device and reason
                                                   // per minute (core LogSampler)
            }
        }
    }

    // Every data message is counted once the writer has seen it.
    auto deadline = Clock::now() + 15s;
    while (telemetry_refused() - stats_before < data_sent && Clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_int_equal(telemetry_refused() - stats_before, data_sent);
    // Each refusal is logged, but sampled: at least one line per device, at most one per
    // message (in practice one per device and reason).
    for (auto& [line, expectation] : expected_lines) {
        long long wanted = lines_before[line] + 1;
        while (log_lines_with(line) < wanted && Clock::now() < deadline)
            std::this_thread::sleep_for(100ms);
        long long logged = log_lines_with(line) - lines_before[line];
        if (logged < 1 || logged > expectation.second)
            fail_msg("log lines '%s': %lld for %lld refused messages", line.c_str(), logged,
                     expectation.second);
    }
    std::this_thread::sleep_for(500ms); // a write, if any, would have landed by now
    std::vector<std::string> changed = changed_tables(before, table_checksums(expected_changes));
    for (const std::string& table : changed)
        print_message("table %s changed\n", table.c_str());
    assert_true(changed.empty());

    // The broker is still up and serving: every device's connection survived.
    for (SweptDevice& device : devices) {
        assert_false(device.client->wait_disconnected(0ms));
        assert_true(accepted(device.client->publish(device.prefix + "/status", "online")));
    }
    std::printf(
        "MQTT bad-payload sweep: %lld payloads on %zu topics of %zu kinds; %lld counted "
        "in stats.prom, the rest in the plugins' log lines\n",
        sent,
        [&] {
            size_t topics = 0;
            for (const KindSpec& kind : all_kinds())
                topics += kind.publishes.size();
            return topics;
        }(),
        all_kinds().size(), data_sent);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(malformed_payloads_are_counted_and_never_written),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
