#pragma once
// Refused device data on its way to device_rejections (sql/0018, docs/telemetry.md "Rejected
// data"): every plugin that refuses a known device's message adds it here, from the broker
// thread or its database worker, and that plugin's database worker writes what accumulated in a
// round of its own (flush_rejections), since the broker thread never touches PostgreSQL.
//
// Thread-safe; add() holds a mutex for one map update and copies at most 200 bytes of payload.
// Memory is bounded by `max_keys` (device, reason) pairs: beyond it a refusal is still logged and
// in the plugin's counters, only not per device.
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"

#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sarang {

// One (device, reason): how many messages, and the latest one's detail and first bytes.
struct RejectionRow {
    std::string device_id;
    std::string reason; // a short fixed name: [a-z_]{1,40}
    long long count = 0;
    std::string detail;
    std::string sample;
};

class RejectionOutbox {
  public:
    explicit RejectionOutbox(std::size_t max_keys = 4096) : max_keys_(max_keys) {}
    // The newest detail and sample of a key win; `detail` is cut to 300 bytes and `payload` to
    // 200, both on a UTF-8 boundary.
    void add(std::string_view device_id, std::string_view reason, std::string_view detail,
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

// Prepares the statement add_rejections() runs; `source` is 'mqtt' or 'http'.
void prepare_rejections(pg::Connection& db, const char* source = "mqtt");
// Counts `rows` in device_rejections inside `transaction` (sarang_add_rejections(), sql/0018).
void add_rejections(pg::Transaction& transaction, const std::vector<RejectionRow>& rows);
// Writes what `outbox` holds in one round of `loop`. Kept for the next call in an outage; a
// round PostgreSQL drops as poisoned is logged by DbLoop and its rows are not retried, so a
// count is never added twice.
void flush_rejections(RejectionOutbox& outbox, DbLoop& loop, std::stop_token stop);

} // namespace sarang
