// sarang-bench: CONNECT and QoS 1 PUBLISH load against any MQTT broker on loopback.
//
//   sarang-bench --port P --credentials FILE [--messages N] [--root hydro] [--subtopic reading]
//
// FILE has one "device_id password" per line; the client id is the device id. Phase 1 connects
// every client one after another and times each CONNECT -> CONNACK. Phase 2 has every client
// publish N QoS 1 messages at once, each waiting for its PUBACK before the next, and times
// each round trip; a publish that gets no PUBACK (the broker disconnected the client) counts as
// failed. Prints one line of figures per phase.
#include "mqtt_client.hpp"

#include "bench_args.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace sarang::test;
using Clock = std::chrono::steady_clock;

using sarang::bench::argument;
using sarang::bench::percentile;

namespace {

struct Credential {
    std::string id;
    std::string password;
};

} // namespace

int main(int argc, char** argv) {
    int port = std::atoi(argument(argc, argv, "--port", "1883"));
    const char* credentials_path = argument(argc, argv, "--credentials", nullptr);
    int messages = std::atoi(argument(argc, argv, "--messages", "100"));
    std::string root = argument(argc, argv, "--root", "hydro");
    std::string subtopic = argument(argc, argv, "--subtopic", "reading");
    if (credentials_path == nullptr) {
        std::fprintf(stderr, "usage: sarang-bench --port P --credentials FILE [--messages N] "
                             "[--root hydro] [--subtopic reading]\n");
        return 2;
    }
    std::vector<Credential> credentials;
    std::ifstream file(credentials_path);
    for (Credential c; file >> c.id >> c.password;)
        credentials.push_back(c);

    // Phase 1: connects, one at a time.
    std::vector<std::unique_ptr<MqttClient>> clients;
    std::vector<double> connect_ms;
    auto phase_start = Clock::now();
    for (const Credential& c : credentials) {
        auto client = std::make_unique<MqttClient>(c.id, 4);
        auto started = Clock::now();
        int rc = client->connect(port, c.id, c.password);
        connect_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - started).count());
        if (rc != 0) {
            std::fprintf(stderr, "connect %s refused: %d\n", c.id.c_str(), rc);
            return 1;
        }
        clients.push_back(std::move(client));
    }
    double connect_seconds = std::chrono::duration<double>(Clock::now() - phase_start).count();
    std::printf("connect: clients=%zu rate=%.0f/s p50=%.3fms p99=%.3fms\n", clients.size(),
                clients.size() / connect_seconds, percentile(connect_ms, 0.5),
                percentile(connect_ms, 0.99));

    // Phase 2: every client publishes its messages concurrently, one in flight each.
    std::vector<std::vector<double>> latencies(clients.size());
    std::vector<int> failures(clients.size(), 0);
    std::vector<std::thread> publishers;
    phase_start = Clock::now();
    for (size_t i = 0; i < clients.size(); ++i) {
        publishers.emplace_back([&, i] {
            std::string topic = root + "/" + credentials[i].id + "/" + subtopic;
            for (int m = 0; m < messages; ++m) {
                char payload[64];
                std::snprintf(payload, sizeof payload, "{\"tds\":%d.5,\"ph\":6.%d}", 400 + m,
                              m % 10);
                auto started = Clock::now();
                if (!accepted(clients[i]->publish(topic, payload)))
                    ++failures[i];
                latencies[i].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - started).count());
            }
        });
    }
    for (std::thread& publisher : publishers)
        publisher.join();
    double publish_seconds = std::chrono::duration<double>(Clock::now() - phase_start).count();
    std::vector<double> all;
    int failed = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
        all.insert(all.end(), latencies[i].begin(), latencies[i].end());
        failed += failures[i];
    }
    std::printf("publish: messages=%zu accepted=%zu failed=%d rate=%.0f/s p50=%.3fms p99=%.3fms\n",
                all.size(), all.size() - failed, failed, all.size() / publish_seconds,
                percentile(all, 0.5), percentile(all, 0.99));
    // Refused publishes are a result (back-pressure), not a tool failure.
    return 0;
}
