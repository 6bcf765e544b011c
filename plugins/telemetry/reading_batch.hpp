#pragma once
// Turns a batch of raw device messages into rows for the readings table. Pure: the writer
// supplies each device's kind and prefix from the database, this decides what is written and
// what is rejected, and why.
#include "sarang/readings.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sarang::telemetry {

// What the MESSAGE callback copies off the broker thread; owns all its bytes.
struct RawMessage {
    std::string device_id; // the authenticated username, not anything in the payload
    std::string topic;
    std::string payload;
    std::chrono::system_clock::time_point received_at;
};

struct DeviceInfo {
    std::string kind;
    std::string topic_prefix;
};

struct ReadingRow {
    std::string device_id;
    std::string metric;
    std::chrono::system_clock::time_point received_at;
    double value;
};

struct Rejection {
    std::string device_id;
    std::string topic;
    std::string reason;
};

struct BatchRows {
    std::vector<ReadingRow> rows;
    std::vector<Rejection> rejected;
};

BatchRows rows_for(const std::vector<RawMessage>& messages,
                   const std::map<std::string, DeviceInfo>& devices);

// PostgreSQL's text form of a timestamptz, microseconds, UTC.
std::string timestamp_text(std::chrono::system_clock::time_point when);

} // namespace sarang::telemetry
