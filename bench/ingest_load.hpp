#pragma once
// sarang-ingest's connections: publishers that keep a window of QoS 1 readings in flight, the
// latency probe's publisher (one reading every 10 ms with its send time) and the probe's
// subscriber, all on one epoll loop.
#include "mqtt_wire.hpp"
#include "readings.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sarang::bench {

using Clock = std::chrono::steady_clock;

enum class Role { publisher, probe, watcher };

struct Link : mqtt::Connection {
    Role role = Role::publisher;
    std::string topic;
    std::uint64_t sent = 0; // messages published
    std::uint64_t acked = 0;
    unsigned in_flight = 0;
    unsigned next_id = 1;
    bool ready = false; // CONNACK (and for the watcher SUBACK) received
    bool want_out = false;
};

struct LoadSettings {
    int port = 1883;
    std::vector<Credential> devices;
    double seconds = 60;
    std::uint64_t messages = 0; // total; 0: no limit
    double rate = 0;            // messages/s over all publishers; 0: as fast as possible
    unsigned window = 32;       // QoS 1 messages in flight per connection
    std::int64_t ts_start = 0;
    Credential probe;   // probe device; empty id: no probe
    Credential watcher; // subscriber for the probe's topic
    double ack_timeout = 60;
};

struct LoadResult {
    std::uint64_t sent = 0;
    std::uint64_t acked = 0; // all publishers, probe included
    std::uint64_t probe_acked = 0;
    double seconds = 0; // first publish to last PUBACK
    std::int64_t next_ts = 0;
    std::vector<double> latency_ms; // probe publish -> delivery to the watcher
    Clock::time_point started;
    bool ok = false;
};

// Connects everything, publishes for the duration, waits for the outstanding PUBACKs.
LoadResult run_load(const LoadSettings& settings);

} // namespace sarang::bench
