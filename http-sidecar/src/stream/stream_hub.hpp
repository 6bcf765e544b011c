#pragma once
// The fan-out behind GET /api/v1/stream. One thread holds its own PostgreSQL connection with
// LISTEN sarang_device_activity (new data from sarang_land_staged(), presence changes from the
// device_presence trigger). It coalesces the device ids it hears for a moment, loads their
// state in one query and queues an `event: device` on every stream whose caller may see the
// device (the owner; admins see all).
//
// When the connection had to be re-made, notifications may have been lost: every stream then
// gets `event: resync` with its caller's whole device list, the same shape as the first
// snapshot. Every heartbeat interval each stream gets a ": ping" comment, and streams whose
// session was revoked or expired meanwhile are ended.
//
// Each stream's queue is bounded (StreamBody); a stream that falls too far behind is ended and
// counted as dropped. Streams are limited per user and in total.
#include "device_state.hpp"
#include "stream_body.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sarang::pg {
class Connection;
}

namespace sarang::http {

struct StreamLimits {
    std::size_t max_streams = 256;
    std::size_t max_streams_per_user = 8;
    std::size_t max_pending_bytes = 512 * 1024;
    std::chrono::milliseconds heartbeat{15000};
    std::chrono::milliseconds coalesce{150};
};

struct StreamViewer {
    long long user_id = 0;
    bool admin = false;
    long long session_row = 0; // sessions.id: the stream ends when it does
};

class StreamHub {
  public:
    StreamHub(std::string dsn, StreamLimits limits);
    ~StreamHub();
    StreamHub(const StreamHub&) = delete;
    StreamHub& operator=(const StreamHub&) = delete;

    // Starts the listening thread (not done by `sarang-httpd --list-routes`).
    void start();

    enum class Refusal { none, user_limit, server_limit, stopping };
    struct Subscription {
        std::shared_ptr<StreamBody> body; // set when accepted
        Refusal refused = Refusal::none;
    };
    // A new stream for this viewer, counted until its body finishes. Events from here on are
    // queued; the caller puts the first snapshot in front of them.
    Subscription subscribe(const StreamViewer& viewer);

    // Ends every stream and refuses new ones: the server's drain must not wait for them.
    void close_all();

    std::size_t open_streams() const;
    unsigned long long dropped() const { return dropped_.load(); }
    unsigned long long events() const { return events_.load(); }
    unsigned long long resyncs() const { return resyncs_.load(); }
    unsigned long long refused() const { return refused_.load(); }

  private:
    struct Entry {
        StreamViewer viewer;
        std::shared_ptr<StreamBody> body;
    };

    void run(std::stop_token stop);
    void released(long long user_id);
    std::vector<Entry> live_entries();
    void send_device_events(pg::Connection& db, const std::vector<std::string>& ids);
    void send_resync(pg::Connection& db);
    void heartbeat(pg::Connection& db);
    void deliver(Entry& entry, const std::string& chunk);

    std::string dsn_;
    StreamLimits limits_;
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::map<long long, std::size_t> per_user_;
    std::size_t open_ = 0;
    bool closing_ = false;
    std::atomic<unsigned long long> dropped_{0};
    std::atomic<unsigned long long> events_{0};
    std::atomic<unsigned long long> resyncs_{0};
    std::atomic<unsigned long long> refused_{0};
    std::jthread thread_;
};

// Whether this viewer may see the device: its owner, or an admin.
bool may_see(const StreamViewer& viewer, const DeviceState& device);
// {"devices": [...]} of the states this viewer may see: the data of `snapshot` and `resync`.
std::string device_list_json(const std::vector<DeviceState>& states, const StreamViewer& viewer);

} // namespace sarang::http
