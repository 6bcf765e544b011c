#pragma once
// Reading one device -> backend data message against its kind's DataTopic: the metrics it
// carries, the payload to keep, what a status says about being online, and the device's own
// timestamp. A message is taken whole or not at all: one bad field rejects it, so nothing is
// ever half written.
#include "sarang/device_kinds.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang {

using TimePoint = std::chrono::system_clock::time_point;

// Larger payloads are refused before parsing; the seeds' largest data message is ~200 bytes.
constexpr std::size_t max_data_payload = 16 * 1024;

struct Metric {
    std::string name;
    double value;
};

struct ParsedMessage {
    std::vector<Metric> metrics;
    std::string kept_json;                // event and status shapes: the payload, compact JSON
    std::optional<bool> online;           // status shape: what the device says about itself
    std::optional<TimePoint> device_time; // "ts" (epoch s, ms, us or ns) or "timestamp" (ISO 8601)
    std::string error;                    // why it was rejected; empty when accepted
    std::string field;                    // the payload field at fault; empty: the whole payload
    bool ok() const { return error.empty(); }
};

// Objects may hold fields the kind does not know (newer firmware); known fields must have their
// type, metrics must be finite numbers in range, and a readings message needs one metric.
ParsedMessage parse_data_message(const DataTopic& topic, std::string_view payload);

// The same, always through jansson's tree: the reference parse_data_message's fast path for
// flat readings objects (flat_json.hpp) must agree with, field for field and error for error
// (tests/unit/data_message_test.cpp, fuzz/data_message_fuzz.cpp).
ParsedMessage parse_data_message_tree(const DataTopic& topic, std::string_view payload);

// A short, fixed name for why a message was rejected ("bad_timestamp", "not_json", "bad_field",
// ...): a metric label and a sampling key, where `error` is the text for people. Empty if ok.
std::string_view rejection_reason(const ParsedMessage& message);

// At most `max_bytes` of a refused payload, valid UTF-8 (json::valid_utf8), cut at a character
// boundary: what an owner is shown of the message that was refused.
std::string rejection_sample(std::string_view payload, std::size_t max_bytes = 200);

// The time a message is stored under: the device's timestamp when it is plausible (at most
// seven days old and five minutes ahead of when the broker received it), else the receive time.
// Either way a redelivered copy of the same message maps to the same time only when the device
// sent its own timestamp; see docs/telemetry.md.
TimePoint message_time(TimePoint received, std::optional<TimePoint> device_time);

// "2025-11-04T10:30:00Z", "2025-11-04T10:30:00.250+07:00", "2025-11-04 10:30:00Z".
std::optional<TimePoint> parse_iso8601(std::string_view text);

} // namespace sarang
