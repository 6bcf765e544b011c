#pragma once
// The parcel box's settings (seed 004's settings.json) with the seed's ranges:
//   ultra.min 5-50 cm < ultra.max 10-50 cm, lock.ms 1000-60000, buzzer.ms 1000-300000,
//   buzzer.buzzOn and buzzer.buzzOff 100-2000, doorLock.ms 1000-30000.
// A change is partial (PUT sends only what changes) and is checked as the whole it makes.
#include "sarang/json.hpp"

namespace sarang::http {

struct ParcelSettings {
    long long ultra_min = 12;
    long long ultra_max = 25;
    long long lock_ms = 5000;
    long long buzzer_ms = 60000;
    long long buzz_on = 500;
    long long buzz_off = 300;
    long long door_lock_ms = 3000;
    bool operator==(const ParcelSettings&) const = default;
};

// Stored JSON (settings_json's shape) back to settings; what is missing keeps its default.
ParcelSettings settings_from_json(const json_t* stored);

// `current` with `change` applied. 400 {"code": "invalid_setting", "field": "ultra.min"} when
// the change is not an object of known groups and fields, a value is not a whole number in its
// range, or the result has ultra.min >= ultra.max. Nothing is applied then.
ParcelSettings apply_settings_change(const ParcelSettings& current, const json_t* change);

// {"ultra": {"min", "max"}, "lock": {"ms"}, "buzzer": {"ms", "buzzOn", "buzzOff"},
//  "doorLock": {"ms"}}
json::Ptr settings_json(const ParcelSettings& settings);
// What the box gets on {prefix}/settings/set: everything but doorLock, which is the lock's.
json::Ptr box_settings_payload(const ParcelSettings& settings);
// What a door lock gets on {prefix}/settings (seed: {"ms": 3000}).
json::Ptr lock_settings_payload(const ParcelSettings& settings);

} // namespace sarang::http
