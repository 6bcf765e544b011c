#pragma once
// Turns a batch of raw device messages into staging rows. Pure: the writer supplies each
// device's kind and prefix from the database; this decides what is written and what is
// rejected, and why, and renders the rows for COPY.
#include "sarang/data_message.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sarang::telemetry {

// What the MESSAGE callback copies off the broker thread (and into the journal).
struct RawMessage {
    std::uint64_t sequence = 0; // the journal's record number
    std::string device_id;      // the authenticated username, not anything in the payload
    std::string topic;
    std::string payload;
    TimePoint received_at; // unique per device on this node (see journal.hpp)
};

struct DeviceInfo {
    std::string kind;
    std::string topic_prefix;
    bool operator==(const DeviceInfo&) const = default;
};

struct Rejection {
    std::string device_id;
    std::string topic;
    std::string reason; // short and fixed: a log sampling key and a metric label
    std::string detail; // for people: which field and why
    std::string sample; // the payload's first bytes (rejection_sample)
};

// One rollup bucket of a metric: the aggregate of reading_rollups' row for it.
struct RollupBucket {
    std::int64_t start_us = 0; // the bucket's start, microseconds since the epoch (UTC)
    std::uint64_t samples = 0;
    double total = 0;
    double low = 0;
    double high = 0;
};

// What one device's metric adds to reading_rollups and latest_readings in a batch. Summed here
// so that the direct path (writer.cpp) upserts a few hundred rows per batch, not one per
// reading; right only when every reading of the batch is new, which that path checks.
struct MetricSummary {
    std::string device_id;
    std::string metric;
    std::int64_t latest_us = 0; // the newest reading's time and value
    double latest_value = 0;
    std::vector<RollupBucket> minutes; // few per batch, in arrival order
    std::vector<RollupBucket> hours;
};

// Rows in PostgreSQL's COPY text format, one per line, for staged_readings (or readings itself:
// the same columns) and staged_messages.
struct StagedBatch {
    std::string readings;
    std::string messages;
    std::size_t reading_rows = 0;
    std::size_t message_rows = 0;
    std::size_t accepted = 0; // messages that produced rows
    std::size_t ignored = 0;  // not data of this device's kind (another plugin's topic)
    std::vector<Rejection> rejected;
    // One per device and metric of the batch, in the order they first appear.
    std::vector<MetricSummary> summaries;
};

StagedBatch stage(const std::vector<RawMessage>& messages,
                  const std::map<std::string, DeviceInfo>& devices);

// The summaries as columns, element i of each being one row, sorted by device and metric, in
// PostgreSQL's text forms: sarang_land_direct()'s array parameters (sql/0024), so that they
// travel with the call instead of in COPYs of their own (round trips are what a loaded machine
// makes slow).
struct SummaryColumns {
    // reading_rollups: one row per (device, metric, bucket width, bucket).
    std::vector<std::string> rollup_device, rollup_metric, rollup_seconds, rollup_bucket,
        rollup_samples, rollup_total, rollup_low, rollup_high;
    // latest_readings: one row per (device, metric), its newest reading.
    std::vector<std::string> latest_device, latest_metric, latest_at, latest_value;
};
SummaryColumns summary_columns(const StagedBatch& batch);

// PostgreSQL's text form of a timestamptz, microseconds, UTC ("2026-11-23 09:11:30.089651+00"),
// kept in place: one per message on the writer's path, so no allocation.
class TimestampText {
  public:
    explicit TimestampText(std::int64_t micros_since_epoch);
    std::string_view view() const { return {text_, size_}; }

  private:
    char text_[40];
    std::uint8_t size_ = 0;
};
std::string timestamp_text(std::int64_t micros_since_epoch);
std::string timestamp_text(TimePoint when);

// One field for COPY's text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string& line, std::string_view value);

} // namespace sarang::telemetry
