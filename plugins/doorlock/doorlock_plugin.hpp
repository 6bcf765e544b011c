#pragma once
// State of one doorlock plugin instance, passed to every callback as userdata.
//
// Threads:
// - MESSAGE copies each {prefix}/pin/attempt (and each {prefix}/alert) into `attempts` (never
//   blocks, never parses);
// - the checker worker verifies each attempt against the owner's door PIN hash (argon2id) under
//   the lockout shared with the sidecar (core door_pin_store) and posts the publishes;
// - TICK drains `mailbox` on the broker thread: the only place this plugin publishes (a
//   targeted pin/verdict, and on success an unlock on control, to the lock's client id, only
//   while the connection that sent the attempt is still there: `askers`);
// - a lock's own alert becomes a lock_alert notification for its owner (lock_alerts.cpp), as
//   the seed's backend did.
#include "plugin_support.hpp"
#include "sarang/log_sampler.hpp"
#include "sarang/pg.hpp"
#include "sarang/rejection_outbox.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace sarang::doorlock {

struct Settings {
    std::string dsn;
};

struct Counters {
    std::atomic<std::uint64_t> queued{0};
    std::atomic<std::uint64_t> refused{0}; // queue full: the lock was disconnected
    std::atomic<std::uint64_t> oversized{0};
    std::atomic<std::uint64_t> accepted{0}; // right PIN: unlocked
    std::atomic<std::uint64_t> denied{0};   // wrong PIN
    std::atomic<std::uint64_t> locked{0};   // refused while locked out
    std::atomic<std::uint64_t> rejected{0}; // malformed, not a lock, no PIN set
    std::atomic<std::uint64_t> duplicates{0};
    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> publish_failed{0};
    std::atomic<std::uint64_t> asker_gone{0}; // not published: the asking connection had closed
    std::atomic<std::uint64_t> alerts{0};     // the locks' own alerts that notified an owner
};

// A lock's keypad attempt (or alert), copied off the broker thread. An attempt's payload holds
// the PIN: it is never logged and dropped as soon as it is checked.
struct Attempt {
    bool alert = false;    // {prefix}/alert rather than {prefix}/pin/attempt
    std::string device_id; // the authenticated username
    std::string client_id; // where the answer goes (targeted publish)
    std::string topic;
    std::string payload;
    std::string address;
    // The connection that sent it (an opaque key, never dereferenced off the broker thread) and
    // its serial in `askers`, which tells a reused pointer apart.
    const void* connection = nullptr;
    std::uint64_t serial = 0;
};

// A publish the checker asks the broker thread to make, for the connection that asked.
struct Outgoing {
    const void* connection = nullptr;
    std::uint64_t serial = 0;
    std::string client_id;
    std::string topic;
    std::string payload;
};

// Argon2 takes ~0.1 s per attempt: a small queue is plenty, and a flood is refused early.
constexpr std::size_t attempt_queue_capacity = 1000;

struct DoorlockPlugin {
    explicit DoorlockPlugin(Settings s) : settings(std::move(s)) {}

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    Counters counters;
    // Refused or dropped device messages: one log line per device and reason per minute, the
    // rest folded into the next (core LogSampler; locks briefly, so either thread may use it).
    LogSampler refusal_log;
    // The same refusals counted per device for device_rejections, written by the checker. An
    // attempt carries a PIN, so its sample stays empty: PINs are never stored in clear.
    RejectionOutbox refusals;
    Mailbox mailbox;
    BoundedQueue<Attempt> attempts{attempt_queue_capacity};
    // Broker thread: the connections that sent attempts, until their DISCONNECT. Only a lock's
    // own session may publish its attempts (the access plugin's ACL), so a verdict published
    // while its asker is still connected reaches that session and nobody who took the client
    // id over meanwhile.
    std::unordered_map<const void*, std::uint64_t> askers;
    std::uint64_t next_serial = 1;
    // Last: destroyed (stopped and joined) first.
    std::unique_ptr<Worker> checker;
};

// Worker body (checker.cpp).
void run_checker(DoorlockPlugin& plugin, std::stop_token stop);
// On the worker: a lock's own alert to its owner's notifications (lock_alerts.cpp).
void notify_lock_alert(DoorlockPlugin& plugin, pg::Connection& db, const Attempt& alert);

// Broker thread, from a mailbox action (verdicts.cpp).
void publish_all(DoorlockPlugin& plugin, const std::vector<Outgoing>& publishes);

// MESSAGE and DISCONNECT callbacks (attempts.cpp).
int on_message(int event, void* event_data, void* userdata);
int on_disconnect(int event, void* event_data, void* userdata);

} // namespace sarang::doorlock
