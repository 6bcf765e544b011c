#pragma once
// Device kinds: what a device of each kind may publish and subscribe to under its own topic
// prefix, which of its messages are data and how each is read. Adding a kind is adding one entry
// to the table in device_kinds.cpp.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sarang {

// A closed range with optional ends; an absent end is no limit.
struct Band {
    std::optional<double> low;
    std::optional<double> high;
    bool contains(double value) const {
        return (!low || value >= *low) && (!high || value <= *high);
    }
};

// How a metric's value is judged on the dashboard (seed 003's status calculation): inside
// `normal` it is normal, inside `warning` a warning, anywhere else critical.
struct Thresholds {
    Band normal;
    Band warning;
};

enum class Level { normal, warning, critical };
Level classify(double value, const Thresholds& thresholds);
std::string_view level_name(Level level);

// A number in a data message that becomes a reading (device, metric, time, value).
struct MetricSpec {
    std::string_view name;  // the metric, e.g. "ph"
    std::string_view field; // the JSON field carrying it; empty: same as name
    double min;             // values outside [min, max] reject the whole message
    double max;
    Thresholds defaults; // until a device has its own (metric_thresholds)
    std::string_view json_field() const { return field.empty() ? name : field; }
};

enum class FieldType { string, number, boolean, array, object };

struct FieldSpec {
    std::string_view name;
    FieldType type; // when present and not null, the field must have this type
};

// readings: only the metrics are kept. event: the message is kept as history, with its metrics
// lifted out. status: the device's reported status ("online"/"offline" or a JSON object).
enum class Shape { readings, event, status };

struct DataTopic {
    std::string_view subtopic;
    Shape shape;
    std::vector<MetricSpec> metrics;
    std::vector<FieldSpec> fields;
};

// Who may queue a command on a topic through the generic route
// (POST /api/v1/devices/{id}/commands, for a device the caller may see). Internal callers (the
// door, dispense, parcel and vending config routes) queue through the outbox themselves and are
// not bound by it. The first value is the closed one, so a topic that forgot its policy is shut.
enum class CommandSender {
    admin,      // administrators only
    owner,      // the device's owner (and administrators): the payload is all there is to check
    route_only, // nobody: only `route`, which checks more (a PIN and its lockout, an order and its
                // stock, settings that are stored) before it queues the command
};

// A backend -> device subtopic that the commands outbox may send to, and the device -> backend
// subtopic that answers it (docs/commands.md). Without an answer topic a command can only end
// by its deadline. correlation_field names the payload field that pairs a command with its
// answer when the answer carries no command id (seed firmware); `required` means an answer
// never pairs with a command lacking that field (a dispense_result only settles its own order).
struct CommandTopic {
    std::string_view subtopic;
    std::string_view ack_subtopic;      // empty: none
    std::string_view correlation_field; // empty: none
    bool correlation_required;
    CommandSender sender;   // docs/commands.md "Who may send what"
    std::string_view route; // route_only: "METHOD path" of the route that queues it
};

struct KindSpec {
    std::string_view name;        // e.g. "hydro-sensor"
    std::string_view prefix_root; // default topic prefix is prefix_root + "/" + device id
    std::vector<std::string_view> publishes;  // device -> backend subtopics
    std::vector<std::string_view> subscribes; // backend -> device subtopics
    std::vector<DataTopic> data;              // the publishes that the telemetry plugin stores
    std::vector<CommandTopic> commands;       // the subscribes that carry outbox commands

    const DataTopic* data_topic(std::string_view subtopic) const;
    const CommandTopic* command_topic(std::string_view subtopic) const;
    bool is_ack_topic(std::string_view subtopic) const;
    const MetricSpec* metric(std::string_view name) const;
};

std::span<const KindSpec> all_kinds();
const KindSpec* find_kind(std::string_view name);

// Whether some kind stores messages on a topic ending in this subtopic: the broker thread's
// cheap first filter before a message is journaled.
bool may_be_data_topic(std::string_view topic);

// The same for answers to commands: the commands plugin's filter in its MESSAGE callback.
bool may_be_ack_topic(std::string_view topic);

// Device ids become MQTT usernames, client ids and topic segments: 1-64 of [A-Za-z0-9_-], not
// starting with "auto-". That rules out the MQTT wildcards + and #, the level separator / and $.
bool valid_device_id(std::string_view id);

// The prefix mosquitto gives the client ids it assigns (auto_id_prefix, "auto-" by default):
// reserved, so that an assigned id can never be a device's.
inline constexpr std::string_view assigned_client_id_prefix = "auto-";

// Client ids are split in two (docs/identity-and-acl.md): an id with a ':' or an assigned one
// is never a device's and is what app users and claimants must use; every other id is on the
// device side, where only a device's own credential may connect. So nobody but a device can take
// over its session, and a device cannot take over anyone else's.
bool device_side_client_id(std::string_view client_id);

// Whether an identity that is not a device may use this client id: "<ns>:<name>" or
// "<ns>:<name>:<suffix>" (one per phone, tab or worker), or an assigned "auto-..." one. So one app
// user (ns "app") or integration (ns "integration") can never evict another's session either.
bool own_client_id(std::string_view ns, std::string_view name, std::string_view client_id);

// A claimant's client id, also a level of its two topics: 1-64 of [A-Za-z0-9_:-], not on the
// device side ("boot:441D64BE2208", or an assigned "auto-...").
bool valid_claimant_client_id(std::string_view client_id);

// One to eight levels of [A-Za-z0-9_.-], at most 128 characters, no leading $.
bool valid_topic_prefix(std::string_view prefix);

std::string default_topic_prefix(const KindSpec& kind, std::string_view device_id);

} // namespace sarang
