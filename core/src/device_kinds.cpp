#include "sarang/device_kinds.hpp"

#include <array>

namespace sarang {
namespace {

// The topic contracts of the seeds (shared/seeds/, ARCHITECTURE.md section 5). Subtopics are
// relative to the device's prefix. Where a seed sends a secret over the wire (the door lock's
// PIN on lock/control and lock/pin), the subtopic is not here: Sarang's lock never receives it.
const std::array<KindSpec, 6> kinds = {{
    // Seed 001: vm/{machine_id}/...
    {"vending", "vm", {"telemetry", "status", "dispense_result"}, {"command", "config"}, "", {}},
    // Seed 004: smartparcel/{deviceId}/... (ESP32-CAM box).
    {"parcel-box",
     "smartparcel",
     {"status", "sensor/distance", "event", "photo/status", "control/ack", "settings/cur",
      "settings/ack"},
     {"control", "settings/set"},
     "",
     {}},
    // Seed 004: the ESP8266 keypad lock, smartparcel/lock for the seed's single lock. Keypad PIN
    // attempts go up for checking in the broker and verdicts come down (issue #8).
    {"door-lock",
     "smartparcel",
     {"status", "alert", "pin/attempt"},
     {"control", "settings", "pin/verdict"},
     "",
     {}},
    // Seed 002: home/{node_name}/... (ESP32 DHT11 provisioned over SoftAP).
    {"env-sensor",
     "home",
     {"status", "reading", "event"},
     {"command", "config"},
     "reading",
     {{"temperature", -40.0, 125.0}, {"humidity", 0.0, 100.0}}},
    // Seed 003 (Raspberry Pi pH/TDS probes). The seed validated TDS to 0-1000 ppm; nutrient
    // solutions run up to about 3500 ppm, so Sarang accepts what common TDS probes measure.
    {"hydro-sensor",
     "hydro",
     {"reading", "status"},
     {"config"},
     "reading",
     {{"tds", 0.0, 5000.0}, {"ph", 0.0, 14.0}, {"temperature", -40.0, 125.0}}},
    // Seed 000's lamp: on/off commands down, its state up.
    {"relay", "relay", {"state", "status"}, {"command"}, "", {}},
}};

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

} // namespace

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
    if (id.empty() || id.size() > 64)
        return false;
    for (char c : id) {
        if (!is_id_char(c))
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
