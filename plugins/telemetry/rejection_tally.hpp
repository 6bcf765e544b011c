#pragma once
// Refused messages counted per (device, reason) for device_rejections (sql/0018): one row per key
// with the count and the latest detail and sample. The writer tallies each batch's rejections;
// BrokerRefusals collects what the broker thread refuses itself (oversized payloads, a full
// journal) for the writer to count, since the broker thread never writes PostgreSQL.
#include "message_batch.hpp"

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sarang::telemetry {

struct RejectionRow {
    std::string device_id;
    std::string reason;
    long long count = 0;
    std::string detail;
    std::string sample;
};

// One row per (device, reason), in key order; unknown devices are left out (no row to count
// against: they are logged and in stats.prom).
std::vector<RejectionRow> tally(const std::vector<Rejection>& rejected);

// Thread-safe; add() holds a mutex for one map update and copies at most 200 bytes of payload.
class BrokerRefusals {
  public:
    explicit BrokerRefusals(std::size_t max_keys = 4096) : max_keys_(max_keys) {}
    void add(std::string_view device_id, const char* reason, std::string_view detail,
             std::string_view payload);
    std::vector<RejectionRow> take();
    // Puts rows back that could not be written (PostgreSQL down), added to newer counts.
    void restore(std::vector<RejectionRow> rows);

  private:
    void merge(RejectionRow row);
    std::size_t max_keys_;
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, RejectionRow> rows_;
};

} // namespace sarang::telemetry
