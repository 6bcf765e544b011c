#pragma once
// Device kinds: what a device of each kind may publish and subscribe to under its own topic
// prefix, and which metrics its readings carry with their valid ranges. Adding a kind is adding
// one entry to the table in device_kinds.cpp.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sarang {

struct MetricSpec {
    std::string_view name;
    double min;
    double max;
};

struct KindSpec {
    std::string_view name;        // e.g. "hydro-sensor"
    std::string_view prefix_root; // default topic prefix is prefix_root + "/" + device id
    std::vector<std::string_view> publishes;  // device -> backend subtopics
    std::vector<std::string_view> subscribes; // backend -> device subtopics
    std::string_view readings_subtopic;       // subtopic carrying metrics; empty: none
    std::vector<MetricSpec> metrics;
};

std::span<const KindSpec> all_kinds();
const KindSpec* find_kind(std::string_view name);

// Device ids become MQTT usernames, client ids and topic segments: 1-64 of [A-Za-z0-9_-].
// That rules out the MQTT wildcards + and #, the level separator / and $.
bool valid_device_id(std::string_view id);

// One to eight levels of [A-Za-z0-9_.-], at most 128 characters, no leading $.
bool valid_topic_prefix(std::string_view prefix);

std::string default_topic_prefix(const KindSpec& kind, std::string_view device_id);

} // namespace sarang
