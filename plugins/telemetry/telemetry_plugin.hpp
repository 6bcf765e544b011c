#pragma once
// State of one telemetry plugin instance, passed to every callback as userdata.
//
// Threads: the MESSAGE callback (broker thread) copies a reading into `queue` and returns; the
// writer worker validates and writes batches to PostgreSQL. Counters are atomics because both
// sides update them.
#include "plugin_support.hpp"
#include "reading_batch.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace sarang::telemetry {

struct Settings {
    std::string dsn;
    std::size_t queue_capacity = 10000;
    std::size_t batch_max = 500;
};

struct Counters {
    std::atomic<std::uint64_t> queued{0};
    std::atomic<std::uint64_t> refused_queue_full{0};
    std::atomic<std::uint64_t> rows_written{0};
    std::atomic<std::uint64_t> rows_duplicate{0};
    std::atomic<std::uint64_t> messages_rejected{0};
    std::atomic<std::uint64_t> messages_failed{0};
};

struct TelemetryPlugin {
    explicit TelemetryPlugin(Settings s) : settings(std::move(s)), queue(settings.queue_capacity) {}

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    BoundedQueue<RawMessage> queue;
    Counters counters;
    std::unique_ptr<Worker> writer; // last member: stopped and joined first on destruction
};

int on_message(int event, void* event_data, void* userdata);
void run_writer(TelemetryPlugin& plugin, std::stop_token stop);

} // namespace sarang::telemetry
