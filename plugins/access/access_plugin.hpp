#pragma once
// State of one access plugin instance, passed to every callback as userdata.
//
// Threads: `devices` and `counters` belong to the broker thread. The loader worker talks to
// PostgreSQL and hands snapshots and per-device updates back through `mailbox`, which TICK
// drains; that is also where sessions whose access changed are kicked.
#include "device_snapshot.hpp"
#include "plugin_support.hpp"
#include "sarang/worker.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace sarang::access {

struct Settings {
    std::string dsn;
    std::string pepper;
    bool require_client_id_match = true;
    int initial_load_timeout_ms = 5000;
};

struct Counters {
    std::uint64_t auth_accepted = 0;
    std::uint64_t auth_refused = 0;
    std::uint64_t auth_unavailable = 0; // refused before the first snapshot arrived
    std::uint64_t acl_denied = 0;
    std::uint64_t kicks = 0;
};

// Signalled by the loader when its first full snapshot is in the mailbox, so init can wait for
// it before the listeners open.
class FirstLoad {
  public:
    void signal();
    bool wait(std::chrono::milliseconds timeout);

  private:
    std::mutex mutex_;
    std::condition_variable done_;
    bool posted_ = false;
};

struct AccessPlugin {
    mosquitto_plugin_id_t* identifier = nullptr;
    Settings settings;
    DeviceSnapshot devices;
    Counters counters;
    Mailbox mailbox;
    FirstLoad first_load;
    std::unique_ptr<Worker> loader; // last member: stopped and joined first on destruction

    // Broker thread: applies one update from the loader and kicks what it invalidates.
    void apply_kicks(const std::vector<std::string>& device_ids);
};

// The loader worker's body (snapshot_loader.cpp).
void run_snapshot_loader(AccessPlugin& plugin, std::stop_token stop);

// Callbacks (auth.cpp, acl.cpp).
int on_basic_auth(int event, void* event_data, void* userdata);
int on_acl_check(int event, void* event_data, void* userdata);

} // namespace sarang::access
