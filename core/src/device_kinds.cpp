#include "sarang/device_kinds.hpp"

#include <array>

namespace sarang {
namespace {

// Seed 003 (Raspberry Pi pH/TDS probes). The seed validated TDS to 0-1000 ppm; nutrient
// solutions run up to about 3500 ppm, so Sarang accepts what common TDS probes can measure.
const std::array<KindSpec, 1> kinds = {{
    {"hydro-sensor",
     "hydro",
     {"reading", "status"},
     {"config"},
     "reading",
     {{"tds", 0.0, 5000.0}, {"ph", 0.0, 14.0}, {"temperature", -40.0, 125.0}}},
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
