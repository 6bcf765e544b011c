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
};

struct Rejection {
    std::string device_id;
    std::string topic;
    std::string reason; // short and fixed: a log sampling key and a metric label
    std::string detail; // for people: which field and why
    std::string sample; // the payload's first bytes (rejection_sample)
};

// Rows in PostgreSQL's COPY text format, one per line, for staged_readings and staged_messages.
struct StagedBatch {
    std::string readings;
    std::string messages;
    std::size_t reading_rows = 0;
    std::size_t message_rows = 0;
    std::size_t accepted = 0; // messages that produced rows
    std::size_t ignored = 0;  // not data of this device's kind (another plugin's topic)
    std::vector<Rejection> rejected;
};

StagedBatch stage(const std::vector<RawMessage>& messages,
                  const std::map<std::string, DeviceInfo>& devices);

// PostgreSQL's text form of a timestamptz, microseconds, UTC.
std::string timestamp_text(TimePoint when);

// One field for COPY's text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string& line, std::string_view value);

} // namespace sarang::telemetry
