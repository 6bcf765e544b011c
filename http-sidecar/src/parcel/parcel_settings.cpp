#include "parcel_settings.hpp"

#include "http_error.hpp"

#include <cmath>
#include <optional>
#include <string>

namespace sarang::http {
namespace {

struct Field {
    const char* group;
    const char* name;
    long long ParcelSettings::*member;
    long long min, max;
    const char* unit;
};

constexpr Field fields[] = {
    {"ultra", "min", &ParcelSettings::ultra_min, 5, 50, "cm"},
    {"ultra", "max", &ParcelSettings::ultra_max, 10, 50, "cm"},
    {"lock", "ms", &ParcelSettings::lock_ms, 1000, 60000, "ms"},
    {"buzzer", "ms", &ParcelSettings::buzzer_ms, 1000, 300000, "ms"},
    {"buzzer", "buzzOn", &ParcelSettings::buzz_on, 100, 2000, "ms"},
    {"buzzer", "buzzOff", &ParcelSettings::buzz_off, 100, 2000, "ms"},
    {"doorLock", "ms", &ParcelSettings::door_lock_ms, 1000, 30000, "ms"},
};

[[noreturn]] void bad_setting(const std::string& field, const std::string& problem) {
    json::Ptr body = error_object("invalid_setting", field + " " + problem);
    json::set(body.get(), "field", json::own(json_string(field.c_str())));
    throw HttpError(json_response(400, body.get()));
}

const Field* find_field(const char* group, const char* name) {
    for (const Field& field : fields) {
        if (std::string_view(field.group) == group && std::string_view(field.name) == name)
            return &field;
    }
    return nullptr;
}

bool known_group(const char* group) {
    for (const Field& field : fields) {
        if (std::string_view(field.group) == group)
            return true;
    }
    return false;
}

// A whole number, also when sent as 7000.0.
std::optional<long long> whole_number(const json_t* value) {
    if (json_is_integer(value))
        return json_integer_value(value);
    if (json_is_real(value)) {
        double number = json_real_value(value);
        if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 1e15)
            return static_cast<long long>(number);
    }
    return std::nullopt;
}

} // namespace

ParcelSettings settings_from_json(const json_t* stored) {
    ParcelSettings settings;
    for (const Field& field : fields) {
        const json_t* value = json_object_get(json_object_get(stored, field.group), field.name);
        std::optional<long long> number = value ? whole_number(value) : std::nullopt;
        if (number)
            settings.*field.member = *number;
    }
    return settings;
}

ParcelSettings apply_settings_change(const ParcelSettings& current, const json_t* change) {
    if (!json_is_object(change))
        bad_setting("settings", "must be a JSON object");
    ParcelSettings next = current;
    const char* group;
    const json_t* members;
    json_object_foreach(const_cast<json_t*>(change), group, members) {
        if (std::string_view(group) == "deviceId")
            continue; // which box, not a setting
        if (!known_group(group))
            bad_setting(group, "is not a setting (ultra, lock, buzzer, doorLock)");
        if (!json_is_object(members))
            bad_setting(group, "must be an object");
        const char* name;
        const json_t* value;
        json_object_foreach(const_cast<json_t*>(members), name, value) {
            std::string path = std::string(group) + "." + name;
            const Field* field = find_field(group, name);
            if (field == nullptr)
                bad_setting(path, "is not a setting");
            std::optional<long long> number = whole_number(value);
            if (!number || *number < field->min || *number > field->max)
                bad_setting(path, "must be a whole number from " + std::to_string(field->min) +
                                      " to " + std::to_string(field->max) + " " + field->unit);
            next.*field->member = *number;
        }
    }
    // A change that names no setting is a client's mistake, not a no-op to store.
    std::size_t named = json_object_size(change) - (json_object_get(change, "deviceId") ? 1 : 0);
    if (named == 0)
        bad_setting("settings", "must name at least one of ultra, lock, buzzer, doorLock");
    if (next.ultra_min >= next.ultra_max)
        bad_setting(json_object_get(json_object_get(change, "ultra"), "min") ? "ultra.min"
                                                                             : "ultra.max",
                    "must keep ultra.min (" + std::to_string(next.ultra_min) +
                        ") below ultra.max (" + std::to_string(next.ultra_max) + ")");
    return next;
}

namespace {

json::Ptr group_json(const ParcelSettings& settings, const char* group) {
    json::Ptr object = json::own(json_object());
    for (const Field& field : fields) {
        if (std::string_view(field.group) == group)
            json::set(object.get(), field.name, json::own(json_integer(settings.*field.member)));
    }
    return object;
}

} // namespace

json::Ptr settings_json(const ParcelSettings& settings) {
    json::Ptr object = box_settings_payload(settings);
    json::set(object.get(), "doorLock", group_json(settings, "doorLock"));
    return object;
}

json::Ptr box_settings_payload(const ParcelSettings& settings) {
    json::Ptr object = json::own(json_object());
    for (const char* group : {"ultra", "lock", "buzzer"})
        json::set(object.get(), group, group_json(settings, group));
    return object;
}

json::Ptr lock_settings_payload(const ParcelSettings& settings) {
    return group_json(settings, "doorLock");
}

} // namespace sarang::http
