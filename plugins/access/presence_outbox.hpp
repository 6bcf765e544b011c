#pragma once
// Presence changes on their way from the broker thread to the presence writer.
//
// It keeps two things: the newest state of each device (coalesced, so it never overflows and a
// long database outage still ends with every device's true state written), and the ordered
// history of changes for the device_presence table, bounded: past `history_capacity` the oldest
// entries are dropped and counted. After a failed write the writer gives the batch back, and
// anything newer that arrived meanwhile wins.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace sarang::access {

struct PresenceChange {
    std::string device_id;
    bool online = false;
    std::chrono::system_clock::time_point at;
    // In Batch::latest: the newest connect the batch saw for the device, kept when a disconnect
    // replaces it, so a device that connected and left within one batch (a sensor that wakes,
    // publishes and sleeps) still gets its last_connected_at.
    std::optional<std::chrono::system_clock::time_point> connected_at;
};

class PresenceOutbox {
  public:
    explicit PresenceOutbox(std::size_t history_capacity) : capacity_(history_capacity) {}

    struct Batch {
        std::map<std::string, PresenceChange> latest;
        // A deque: at capacity every record drops the oldest entry, which must not shift
        // the whole history on the broker thread.
        std::deque<PresenceChange> history;
        bool empty() const { return latest.empty() && history.empty(); }
    };

    // Any thread.
    void record(PresenceChange change);
    // Writer thread: waits until something is pending, the timeout passes or a stop is
    // requested; then lingers (unless stopping) so that a burst of connects becomes one batch;
    // then takes everything.
    Batch take(std::stop_token stop, std::chrono::milliseconds timeout,
               std::chrono::milliseconds linger = std::chrono::milliseconds(0));
    void give_back(Batch batch);

    std::uint64_t history_dropped() const;

  private:
    void trim();

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable_any ready_;
    Batch pending_;
    std::uint64_t dropped_ = 0;
};

} // namespace sarang::access
