#pragma once
// State of one access plugin instance, passed to every callback as userdata.
//
// Threads: `devices`, `sessions`, the limiters and `counters` belong to the broker thread. The
// loader worker talks to PostgreSQL and hands snapshots and per-device updates back through
// `mailbox`, which TICK drains; that is also where sessions whose access changed are kicked.
// Presence changes go the other way, through `presence` to the presence writer worker.
#include "app_users.hpp"
#include "device_snapshot.hpp"
#include "failure_limiter.hpp"
#include "integrations.hpp"
#include "plugin_support.hpp"
#include "presence_outbox.hpp"
#include "sarang/worker.hpp"
#include "session_registry.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>

namespace sarang::pg {
class Connection;
}

namespace sarang::access {

struct Settings {
    std::string dsn;
    std::string pepper;
    std::string node_name; // this broker, in devices.online_node and device_presence
    bool require_client_id_match = true;
    int initial_load_timeout_ms = 5000;
    int connect_failures_per_minute = 10;
};

struct Counters {
    std::uint64_t auth_accepted = 0;
    std::uint64_t auth_accepted_previous = 0; // with the pre-rotation credential
    std::uint64_t app_auth_accepted = 0;      // app users with a session token
    std::uint64_t integration_auth_accepted = 0;
    std::uint64_t auth_refused = 0;
    std::uint64_t auth_rate_limited = 0;
    std::uint64_t auth_unavailable = 0; // refused before the first snapshot arrived
    std::uint64_t acl_denied = 0;
    std::uint64_t kicks = 0;
};

// A one-time event from the loader that init waits for before the listeners open (first_load,
// node_registered below).
class StartupSignal {
  public:
    void signal();
    bool wait(std::chrono::milliseconds timeout);

  private:
    std::mutex mutex_;
    std::condition_variable done_;
    bool posted_ = false;
};

// The newest access barrier (sql/0016_access_applied.sql) whose preceding changes the broker
// thread has applied. mark() runs on the broker thread (a mailbox action, never waits beyond a
// short lock); the loader waits for it before it records the barrier in access_nodes.
class AppliedBarrier {
  public:
    void mark(long long barrier);
    long long value() const;
    // Loader thread: true once value() >= barrier; false at the timeout or on a stop request.
    bool wait(long long barrier, std::stop_token stop, std::chrono::milliseconds timeout);

  private:
    mutable std::mutex mutex_;
    std::condition_variable_any applied_;
    long long value_ = 0;
};

// An admitted app connection: whose session it used, to end it when the session does.
struct AppConnection {
    long long user_id = 0;
    crypto::Digest token_hash{};
    std::string client_id;
};

// An admitted integration connection: which integration, with which credential, to end it when
// the integration is revoked or rotated. Its filters are looked up live on every check.
struct IntegrationConnection {
    std::string name;
    crypto::Digest credential{};
    std::string client_id;
};

struct AccessPlugin {
    explicit AccessPlugin(Settings s);

    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    // Before any connect of this run: a previous run's devices were offline from here on.
    const WallClock::time_point started_at = WallClock::now();
    DeviceSnapshot devices;
    SessionRegistry sessions;
    AppUserSnapshot app_users;
    std::unordered_map<const void*, AppConnection> app_connections;
    IntegrationSnapshot integrations;
    std::unordered_map<const void*, IntegrationConnection> integration_connections;
    FailureLimiter address_failures;
    FailureLimiter username_failures;
    FailureLimiter denial_log; // only its log folding: one denial line per client a minute
    Counters counters;
    Mailbox mailbox;
    // The first full snapshot and its barrier mark are in the mailbox.
    StartupSignal first_load;
    // This node's access_nodes row records that load's barrier. Until it exists, issuers
    // (core access_sync) do not know the node and would not wait for it: a device created right
    // after the broker started could be refused for a moment.
    StartupSignal node_registered;
    AppliedBarrier applied;
    PresenceOutbox presence{100000};
    std::chrono::steady_clock::time_point next_housekeeping{};
    // The earliest end of a rotation grace among sessions still on a previous credential:
    // housekeeping rechecks those sessions only once it has passed, not every second.
    WallClock::time_point next_grace_end = WallClock::time_point::max();
    void note_grace_end(const DeviceRecord& device) {
        next_grace_end = std::min(next_grace_end, device.previous_expires_at);
    }
    // When the certificates that admitted live sessions expire (TLS checks the dates only at the
    // handshake): housekeeping re-checks those devices once the time has passed. One entry per
    // certificate and device, so reconnects add nothing; an entry goes when it is due.
    std::set<std::pair<WallClock::time_point, std::string>> certificate_ends;
    // Workers last: destroyed (stopped and joined) first.
    std::unique_ptr<Worker> loader;
    std::unique_ptr<Worker> presence_writer;

    // Broker thread: looks again at every live session of these devices and kicks those that
    // may no longer hold.
    void revalidate(const std::vector<std::string>& device_ids);
    // Broker thread: the same for app connections; an empty list checks them all.
    void revalidate_app_connections(const std::vector<long long>& user_ids);
    // Broker thread: kicks integration connections of these names whose integration is gone
    // (revoked) or whose credential changed (rotated).
    void revalidate_integrations(const std::vector<std::string>& names);
    // Broker thread, about once a second: ends grace periods, bounds the limiters.
    void housekeeping();
};

// Worker bodies (snapshot_loader.cpp, presence_writer.cpp).
void run_snapshot_loader(AccessPlugin& plugin, std::stop_token stop);
void run_presence_writer(AccessPlugin& plugin, std::stop_token stop);
// Loader worker: reads every live integration and posts the swap (integration_loader.cpp).
inline constexpr const char* integrations_channel = "sarang_integrations";
void post_integrations(AccessPlugin& plugin, pg::Connection& db);

// Callbacks (auth.cpp, acl.cpp, presence.cpp).
int on_basic_auth(int event, void* event_data, void* userdata);
int on_acl_check(int event, void* event_data, void* userdata);
int on_disconnect(int event, void* event_data, void* userdata);

} // namespace sarang::access
