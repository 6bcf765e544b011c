#pragma once
// State of one telemetry plugin instance, passed to every callback as userdata.
//
// Threads: the MESSAGE callback (broker thread) appends a data message to the journal and
// returns; the writer worker reads the journal, validates and lands batches in PostgreSQL.
// Counters are atomics because both sides update them.
#include "journal.hpp"
#include "plugin_support.hpp"
#include "rejection_tally.hpp"
#include "sarang/log_sampler.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sarang::telemetry {

struct Settings {
    std::string dsn;
    std::filesystem::path journal_dir;
    JournalLimits journal_limits;
    std::size_t batch_max = 20000;
    // While fewer than batch_max / 4 messages wait, batches start at most this often: each
    // costs a transaction and its round trips whatever its size (run_writer).
    std::chrono::milliseconds batch_interval{50};
    std::chrono::milliseconds sync_interval{1000};
};

struct Counters {
    std::atomic<std::uint64_t> journaled{0};
    std::atomic<std::uint64_t> refused_journal_full{0};
    std::atomic<std::uint64_t> journal_errors{0};
    std::atomic<std::uint64_t> oversized{0};
    std::atomic<std::uint64_t> messages_landed{0};
    std::atomic<std::uint64_t> readings_new{0};
    std::atomic<std::uint64_t> readings_duplicate{0};
    std::atomic<std::uint64_t> events_new{0};
    std::atomic<std::uint64_t> messages_rejected{0};
    std::atomic<std::uint64_t> messages_failed{0};
    std::atomic<std::uint64_t> batches{0};
    // Batches whose direct COPY met a reading already there (a replay after a crash, a QoS 1
    // redelivery with the device's timestamp) and that landed through sarang_land_staged().
    std::atomic<std::uint64_t> batches_deduplicated{0};
    std::atomic<bool> database_up{false};
};

struct TelemetryPlugin {
    explicit TelemetryPlugin(Settings s)
        : settings(std::move(s)), journal(settings.journal_dir, settings.journal_limits) {}

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    Journal journal;
    Counters counters;
    // Refused data, one log line per device and reason per minute: the writer's rejections and
    // the broker thread's oversized payloads (the sampler locks; no I/O under its lock).
    LogSampler rejection_log;
    // The broker thread's refusals, counted per device by the writer.
    RejectionOutbox broker_refusals;
    // Writer only: the batch read from the journal and not landed yet. Here rather than in the
    // writer's body so that a restarted body (worker.hpp) lands it instead of skipping it.
    std::vector<RawMessage> pending;
    // Writer only: the batch after `pending`, read from the journal while PostgreSQL was still
    // inserting pending's readings (writer.cpp), landed right after it.
    std::vector<RawMessage> next;
    std::unique_ptr<Worker> writer; // last member: stopped and joined first on destruction
};

int on_message(int event, void* event_data, void* userdata);
void run_writer(TelemetryPlugin& plugin, std::stop_token stop);
// Prometheus text of the counters, written next to the journal for the sidecar and operators.
std::string stats_text(const TelemetryPlugin& plugin);

} // namespace sarang::telemetry
