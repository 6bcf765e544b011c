#include "sarang/device_kinds.hpp"

#include <array>

namespace sarang {
namespace {

// Dashboard bands: common ranges for each quantity, overridable per device.
constexpr Thresholds no_bands{};
constexpr Thresholds water_ph{{5.5, 6.5}, {5.0, 7.0}};            // hydroponic nutrient solution
constexpr Thresholds water_tds{{400.0, 1200.0}, {200.0, 1600.0}}; // ppm, leafy greens
constexpr Thresholds water_temperature{{18.0, 26.0}, {15.0, 30.0}};
constexpr Thresholds room_temperature{{18.0, 30.0}, {10.0, 35.0}};
constexpr Thresholds room_humidity{{30.0, 70.0}, {20.0, 80.0}};
constexpr Thresholds machine_temperature{{0.0, 35.0}, {-10.0, 45.0}};
constexpr Thresholds wifi_rssi{{-70.0, std::nullopt}, {-85.0, std::nullopt}}; // dBm

const MetricSpec rssi{"rssi", "", -150.0, 0.0, wifi_rssi};

// The topic contracts of the seeds (shared/seeds/, ARCHITECTURE.md section 5). Subtopics are
// relative to the device's prefix. Where a seed sends a secret over the wire (the door lock's
// PIN on lock/control and lock/pin), the subtopic is not here: Sarang's lock never receives it.
// Publishes that are not data (results, acknowledgements, PIN attempts) belong to the commands,
// vending and doorlock plugins.
const std::array<KindSpec, 6> kinds = {{
    // Seed 001: vm/{machine_id}/...
    {"vending",
     "vm",
     {"telemetry", "status", "dispense_result"},
     {"command", "config"},
     {{"telemetry",
       Shape::event,
       {{"temperature", "", -40.0, 125.0, machine_temperature}},
       {{"slots", FieldType::array}, {"door", FieldType::string}}},
      {"status",
       Shape::status,
       {rssi},
       {{"status", FieldType::string}, {"door", FieldType::string}, {"fw", FieldType::string}}}},
     // A dispense takes stock through an order (one per order, docs/vending.md); a config is
     // checked against the machine's ranges by its route.
     {{"command", "dispense_result", "orderId", true, CommandSender::route_only,
       "POST /api/dispense/trigger"},
      {"config", "", "", false, CommandSender::route_only,
       "PUT /api/v1/vending/machines/{id}/config"}}},
    // Seed 004: smartparcel/{deviceId}/... (ESP32-CAM box).
    {"parcel-box",
     "smartparcel",
     {"status", "sensor/distance", "event", "photo/status", "control/ack", "settings/cur",
      "settings/ack"},
     {"control", "settings/set"},
     {{"status", Shape::status, {rssi}, {}},
      {"sensor/distance", Shape::readings, {{"distance_cm", "cm", 0.0, 1000.0, no_bands}}, {}},
      {"event",
       Shape::event,
       {{"distance_cm", "cm", 0.0, 1000.0, no_bands}},
       {{"type", FieldType::string}}},
      {"photo/status",
       Shape::event,
       {},
       {{"ok", FieldType::boolean}, {"photoUrl", FieldType::string}}},
      // The box's own echo of its settings: kept as history, the newest is what it runs with
      // (GET /api/device/settings "reported").
      {"settings/cur", Shape::event, {}, {}}},
     // The control routes (/api/device/control/...) are the owner's too and send the same
     // payloads; the box's settings are stored, so they change only through their route.
     {{"control", "control/ack", "action", false, CommandSender::owner, ""},
      {"settings/set", "settings/ack", "", false, CommandSender::route_only,
       "PUT /api/device/settings"}}},
    // Seed 004: the ESP8266 keypad lock, smartparcel/lock for the seed's single lock. Keypad PIN
    // attempts go up for checking in the broker and verdicts come down (issue #8).
    {"door-lock",
     "smartparcel",
     {"status", "alert", "pin/attempt"},
     {"control", "settings", "pin/verdict"},
     {{"status",
       Shape::status,
       {rssi},
       {{"state", FieldType::string},
        {"method", FieldType::string},
        {"attempts", FieldType::number}}},
      {"alert",
       Shape::event,
       {},
       {{"attempts", FieldType::number}, {"lockout", FieldType::boolean}}}},
     // pin/verdict belongs to the doorlock plugin, not to the outbox.
     // A lock's status answers a remote unlock only when it says so: its will ("offline"), the
     // re-lock and a keypad unlock are statuses too, and must not settle a waiting command.
     // Every control payload opens the door (the lock knows no other action), so all of them go
     // through the PIN check, its lockout, audit row and alert; none is judged by its "action".
     {{"control", "status", "method", true, CommandSender::route_only,
       "POST /api/device/control/door"},
      {"settings", "", "", false, CommandSender::route_only, "PUT /api/device/settings"}}},
    // Seed 002: home/{node_name}/... (ESP32 DHT11 provisioned over SoftAP).
    {"env-sensor",
     "home",
     {"status", "reading", "event"},
     {"command", "config"},
     {{"status", Shape::status, {rssi}, {}},
      {"reading",
       Shape::readings,
       {{"temperature", "", -40.0, 125.0, room_temperature},
        {"humidity", "", 0.0, 100.0, room_humidity}},
       {}},
      {"event", Shape::event, {}, {{"type", FieldType::string}}}},
     {{"command", "", "", false, CommandSender::owner, ""},
      {"config", "", "", false, CommandSender::owner, ""}}},
    // Seed 003 (Raspberry Pi pH/TDS probes). The seed validated TDS to 0-1000 ppm; nutrient
    // solutions run up to about 3500 ppm, so Sarang accepts what common TDS probes measure.
    {"hydro-sensor",
     "hydro",
     {"reading", "status"},
     {"config"},
     {{"reading",
       Shape::readings,
       {{"tds", "", 0.0, 5000.0, water_tds},
        {"ph", "", 0.0, 14.0, water_ph},
        {"temperature", "", -40.0, 125.0, water_temperature}},
       {}},
      {"status", Shape::status, {rssi}, {}}},
     {{"config", "", "", false, CommandSender::owner, ""}}},
    // Seed 000's lamp: on/off commands down, its state up.
    {"relay",
     "relay",
     {"state", "status"},
     {"command"},
     {{"state", Shape::event, {}, {}}, {"status", Shape::status, {rssi}, {}}},
     {{"command", "state", "", false, CommandSender::owner, ""}}},
}};

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// Whether topic is ".../<subtopic>".
bool ends_with_level(std::string_view topic, std::string_view subtopic) {
    return topic.size() > subtopic.size() && topic.ends_with(subtopic) &&
           topic[topic.size() - subtopic.size() - 1] == '/';
}

} // namespace

Level classify(double value, const Thresholds& thresholds) {
    if (thresholds.normal.contains(value))
        return Level::normal;
    return thresholds.warning.contains(value) ? Level::warning : Level::critical;
}

std::string_view level_name(Level level) {
    switch (level) {
    case Level::normal:
        return "normal";
    case Level::warning:
        return "warning";
    case Level::critical:
        break;
    }
    return "critical";
}

const DataTopic* KindSpec::data_topic(std::string_view subtopic) const {
    for (const DataTopic& topic : data) {
        if (topic.subtopic == subtopic)
            return &topic;
    }
    return nullptr;
}

const CommandTopic* KindSpec::command_topic(std::string_view subtopic) const {
    for (const CommandTopic& topic : commands) {
        if (topic.subtopic == subtopic)
            return &topic;
    }
    return nullptr;
}

bool KindSpec::is_ack_topic(std::string_view subtopic) const {
    for (const CommandTopic& topic : commands) {
        if (!topic.ack_subtopic.empty() && topic.ack_subtopic == subtopic)
            return true;
    }
    return false;
}

const MetricSpec* KindSpec::metric(std::string_view metric_name) const {
    for (const DataTopic& topic : data) {
        for (const MetricSpec& spec : topic.metrics) {
            if (spec.name == metric_name)
                return &spec;
        }
    }
    return nullptr;
}

bool may_be_data_topic(std::string_view topic) {
    for (const KindSpec& kind : kinds) {
        for (const DataTopic& data : kind.data) {
            if (ends_with_level(topic, data.subtopic))
                return true;
        }
    }
    return false;
}

bool may_be_ack_topic(std::string_view topic) {
    for (const KindSpec& kind : kinds) {
        for (const CommandTopic& command : kind.commands) {
            if (!command.ack_subtopic.empty() && ends_with_level(topic, command.ack_subtopic))
                return true;
        }
    }
    return false;
}

std::span<const KindSpec> all_kinds() {
    return kinds;
}

const KindSpec* find_kind(std::string_view name) {
    for (const KindSpec& kind : kinds) {
        if (kind.name == name)
            return &kind;
    }
    return nullptr;
}

bool valid_device_id(std::string_view id) {
    if (id.empty() || id.size() > 64 || id.starts_with(assigned_client_id_prefix))
        return false;
    for (char c : id) {
        if (!is_id_char(c))
            return false;
    }
    return true;
}

bool device_side_client_id(std::string_view client_id) {
    return client_id.find(':') == std::string_view::npos &&
           !client_id.starts_with(assigned_client_id_prefix);
}

bool own_client_id(std::string_view ns, std::string_view name, std::string_view client_id) {
    if (client_id.starts_with(assigned_client_id_prefix))
        return true;
    if (name.empty() || !client_id.starts_with(ns))
        return false;
    std::string_view rest = client_id.substr(ns.size());
    if (!rest.starts_with(':'))
        return false;
    rest.remove_prefix(1);
    if (!rest.starts_with(name))
        return false;
    rest.remove_prefix(name.size());
    return rest.empty() || rest.front() == ':';
}

bool valid_claimant_client_id(std::string_view client_id) {
    if (client_id.empty() || client_id.size() > 64 || device_side_client_id(client_id))
        return false;
    for (char c : client_id) {
        if (!is_id_char(c) && c != ':')
            return false;
    }
    return true;
}

bool valid_topic_prefix(std::string_view prefix) {
    if (prefix.empty() || prefix.size() > 128)
        return false;
    int levels = 1;
    char previous = '/';
    for (char c : prefix) {
        if (c == '/') {
            if (previous == '/')
                return false; // empty level
            ++levels;
        } else if (!is_id_char(c) && c != '.') {
            return false;
        }
        previous = c;
    }
    return previous != '/' && levels <= 8;
}

std::string default_topic_prefix(const KindSpec& kind, std::string_view device_id) {
    return std::string(kind.prefix_root) + "/" + std::string(device_id);
}

} // namespace sarang
