#pragma once
// State of one vending plugin instance, passed to every callback as userdata.
//
// Threads:
// - MESSAGE copies each vm/{id}/dispense_result into `results` (never blocks, never parses);
// - the result writer worker settles each result in one PostgreSQL transaction (dispense log,
//   order, slot stock, stock log) and fails DISPENSING orders whose deadline passed.
// The plugin never calls a broker API from a worker, so it needs no mailbox and no TICK.
// The commands plugin sees the same MESSAGE events and settles the command row; this plugin
// settles the order. Neither waits for the other (docs/vending.md).
#include "plugin_support.hpp"
#include "sarang/log_sampler.hpp"
#include "sarang/rejection_outbox.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace sarang::vending {

struct Settings {
    std::string dsn;
};

struct Counters {
    std::atomic<std::uint64_t> queued{0};
    std::atomic<std::uint64_t> refused{0}; // queue full: the machine was disconnected
    std::atomic<std::uint64_t> oversized{0};
    std::atomic<std::uint64_t> applied{0};
    std::atomic<std::uint64_t> duplicates{0};
    std::atomic<std::uint64_t> late{0};
    std::atomic<std::uint64_t> rejected{0}; // malformed, unknown order, foreign, wrong slot
    std::atomic<std::uint64_t> timeouts{0};
};

// A machine's dispense_result, copied off the broker thread.
struct Result {
    std::string device_id; // the authenticated username
    std::string topic;
    std::string payload;
};

constexpr std::size_t result_queue_capacity = 10000;
constexpr std::size_t max_result_bytes = 16 * 1024;

struct VendingPlugin {
    explicit VendingPlugin(Settings s) : settings(std::move(s)) {}

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    Counters counters;
    // Refused or dropped device messages: one log line per device and reason per minute, the
    // rest folded into the next (core LogSampler; locks briefly, so either thread may use it).
    LogSampler refusal_log;
    // The same refusals counted per device for device_rejections, written by the result writer.
    RejectionOutbox refusals;
    BoundedQueue<Result> results{result_queue_capacity};
    // Last: destroyed (stopped and joined) first.
    std::unique_ptr<Worker> writer;
};

// Worker body (result_writer.cpp).
void run_result_writer(VendingPlugin& plugin, std::stop_token stop);

// MESSAGE callback (results.cpp).
int on_message(int event, void* event_data, void* userdata);

} // namespace sarang::vending
