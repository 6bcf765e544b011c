#pragma once
// State of one commands plugin instance, passed to every callback as userdata.
//
// Threads:
// - the dispatcher worker LISTENs for new commands and presence changes, claims the commands
//   due on this node (records them sent) and posts the publishes to `mailbox`;
// - TICK drains `mailbox` on the broker thread: the only place this plugin publishes;
// - MESSAGE copies a device's answer into `answers` (never blocks);
// - the answer writer worker pairs answers with sent commands and settles them.
// Everything the plugin knows lives in PostgreSQL; nothing here survives a restart, nothing
// needs to.
#include "plugin_support.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/log_sampler.hpp"
#include "sarang/rejection_outbox.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace sarang::commands {

struct Settings {
    std::string dsn;
    std::string node_name; // broker.node_name: must match the access plugin's
};

struct Counters {
    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> publish_failed{0};
    std::atomic<std::uint64_t> answers_queued{0};
    std::atomic<std::uint64_t> answers_refused{0}; // queue full: the device was disconnected
    std::atomic<std::uint64_t> answers_oversized{0};
    std::atomic<std::uint64_t> settled{0};   // acked or failed
    std::atomic<std::uint64_t> unmatched{0}; // answers that settled nothing
    std::atomic<std::uint64_t> expired{0};
};

// A device's message on an answer topic, copied off the broker thread.
struct Answer {
    std::string device_id; // the authenticated username
    std::string topic;
    std::string payload;
};

// A command to publish, as the dispatcher claimed it.
struct Delivery {
    std::string command_id;
    std::string client_id; // the device id: the access plugin binds client id to it
    std::string topic;
    std::string payload;
};

constexpr std::size_t answer_queue_capacity = 10000;
constexpr std::size_t max_answer_bytes = 64 * 1024;

struct CommandsPlugin {
    explicit CommandsPlugin(Settings s) : settings(std::move(s)) {}

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    Counters counters;
    // Refused or dropped device messages: one log line per device and reason per minute, the
    // rest folded into the next (core LogSampler; locks briefly, so either thread may use it).
    LogSampler refusal_log;
    // The same refusals counted per device for device_rejections, written by the answer writer.
    RejectionOutbox refusals;
    Mailbox mailbox;
    BoundedQueue<Answer> answers{answer_queue_capacity};
    // Workers last: destroyed (stopped and joined) first.
    std::unique_ptr<Worker> dispatcher;
    std::unique_ptr<Worker> answer_writer;
};

// Whether a refused answer on this ack subtopic is this plugin's to count in device_rejections:
// not when the telemetry plugin stores the topic as data (it counts its own refusals there, and
// a relay's "state" is also a spontaneous report, not a stray answer), nor when the vending
// plugin settles it (dispense_result). One refused message is counted once (answers.cpp).
bool counts_refusals(const KindSpec& kind, std::string_view ack_subtopic);
// Broker thread, where the kind is not known: only when every kind that may answer on `topic`
// would count it.
bool counts_refusals(std::string_view topic);

// Worker bodies (dispatcher.cpp, answer_writer.cpp).
void run_dispatcher(CommandsPlugin& plugin, std::stop_token stop);
void run_answer_writer(CommandsPlugin& plugin, std::stop_token stop);

// Broker thread, from a mailbox action (delivery.cpp).
void publish_deliveries(CommandsPlugin& plugin, const std::vector<Delivery>& deliveries);

// Callbacks (answers.cpp).
int on_message(int event, void* event_data, void* userdata);

} // namespace sarang::commands
