#pragma once
// One log line per (device, reason) per interval for refused or dropped device data, however
// fast a device sends it: the first occurrence is logged, the rest are folded into a count that
// the next line for that key (or flush(), from a worker's loop) reports. A device flooding bad
// data costs a few lines a minute, not one per message (issue #18 item 4).
//
// Thread-safe (one short mutex hold, no I/O), so a broker callback, a worker and the sidecar's
// request threads may each share one. Memory is bounded by `max_keys`.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sarang {

class LogSampler {
  public:
    using Clock = std::chrono::steady_clock;

    explicit LogSampler(Clock::duration interval = std::chrono::minutes(1),
                        std::size_t max_keys = 4096);

    // Counts one occurrence. nullopt: stay quiet. Otherwise log now; the value is how many
    // occurrences of this key were folded (not logged) since its previous line.
    std::optional<std::uint64_t> due(std::string_view device, std::string_view reason,
                                     Clock::time_point now = Clock::now());

    // Calls `summary(device, reason, folded)` for each key whose interval has passed with
    // folded occurrences, so a flood that stops still gets its summary line.
    void flush(const std::function<void(const std::string& device, const std::string& reason,
                                        std::uint64_t folded)>& summary,
               Clock::time_point now = Clock::now());

    std::size_t size() const;

  private:
    struct Entry {
        Clock::time_point last_logged;
        std::uint64_t folded = 0;
    };
    void make_room(Clock::time_point now);

    Clock::duration interval_;
    std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_; // key: device '\0' reason
};

} // namespace sarang
