#pragma once
// State of one provisioning plugin instance, passed to every callback as userdata.
//
// Threads: `secrets`, `claimants`, `limiter` and `counters` belong to the broker thread. The
// registrar worker takes requests from `requests` (PostgreSQL, argon2id) and posts each answer
// to `mailbox`; the secrets loader posts factory-secret snapshots there and sweeps expired
// pre-registrations. TICK drains the mailbox: the only place answers are published.
#include "failure_limiter.hpp"
#include "plugin_support.hpp"
#include "sarang/crypto.hpp"
#include "sarang/log_sampler.hpp"
#include "sarang/provisioning.hpp"
#include "sarang/rejection_outbox.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sarang::provision {

using WallClock = std::chrono::system_clock;

struct Settings {
    std::string dsn;
    provisioning::Settings registration;
    int requests_per_connection = 5;
    int initial_load_timeout_ms = 5000;
    int connect_failures_per_minute = 10;
};

struct FactorySecret {
    long long id = 0;
    crypto::Digest hash{};
    std::optional<WallClock::time_point> not_after; // end of a rotation grace
    bool live(WallClock::time_point now) const { return !not_after || now < *not_after; }
};

// An admitted claim-identity connection. `serial` tells a reused connection pointer apart.
struct Claimant {
    std::uint64_t serial = 0;
    std::string client_id;
    std::string address;
    long long secret_id = 0;
    int requests = 0;
    bool in_flight = false;
};

// One request on its way to the registrar.
struct Job {
    const void* connection = nullptr; // an opaque key only; never dereferenced off the broker
    std::uint64_t serial = 0;
    std::string client_id;
    std::string address;
    long long secret_id = 0;
    std::string payload;
};

struct Counters {
    std::uint64_t claimants_accepted = 0;
    std::uint64_t claimants_refused = 0;
    std::uint64_t requests = 0;
    std::uint64_t requests_refused = 0; // over the per-connection limit, busy or queue full
    std::uint64_t answers = 0;
    std::uint64_t answers_dropped = 0; // the asking connection was gone
    std::uint64_t acl_denied = 0;
};

inline constexpr std::size_t max_request_bytes = 1024;

struct ProvisionPlugin {
    explicit ProvisionPlugin(Settings s);

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    std::vector<FactorySecret> secrets;
    bool secrets_loaded = false;
    std::unordered_map<const void*, Claimant> claimants;
    std::uint64_t next_serial = 1;
    access::FailureLimiter limiter; // wrong factory secrets per client address
    access::FailureLimiter denial_log{1, std::chrono::seconds(1), std::chrono::seconds(60), 100000};
    Counters counters;
    // Refused or dropped device messages: one log line per device and reason per minute, the
    // rest folded into the next (core LogSampler; locks briefly, so either thread may use it).
    LogSampler refusal_log;
    // Refused requests counted per device for device_rejections when the claimant's client id
    // or the claimed device id names a known device (others are skipped by the database),
    // written by the registrar. A request carries a PIN, so its sample stays empty.
    RejectionOutbox refusals;
    Mailbox mailbox;
    BoundedQueue<Job> requests{1000};
    std::promise<void> first_load;
    std::atomic<bool> first_load_posted{false};
    std::chrono::steady_clock::time_point next_housekeeping{};
    // Workers last: destroyed (stopped and joined) first.
    std::unique_ptr<Worker> registrar;
    std::unique_ptr<Worker> loader;

    // Broker thread: the live secret `presented` is, if any.
    const FactorySecret* matching_secret(const char* presented) const;
    // Broker thread: publishes an answer to the connection that asked, if it is still there.
    void answer(const void* connection, std::uint64_t serial, const std::string& payload);
    // Broker thread, about once a second: ends claimant sessions whose secret died.
    void housekeeping();
};

// A JSON answer with status "error".
std::string error_answer(const std::string& code, const std::string& message);

// Worker bodies (registrar.cpp, secrets_loader.cpp).
void run_registrar(ProvisionPlugin& plugin, std::stop_token stop);
void run_secrets_loader(ProvisionPlugin& plugin, std::stop_token stop);

// Callbacks (auth.cpp, acl.cpp, message.cpp).
int on_basic_auth(int event, void* event_data, void* userdata);
int on_acl_check(int event, void* event_data, void* userdata);
int on_message(int event, void* event_data, void* userdata);
int on_disconnect(int event, void* event_data, void* userdata);

} // namespace sarang::provision
