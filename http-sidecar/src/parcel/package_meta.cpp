#include "package_meta.hpp"

#include "http_error.hpp"
#include "sarang/json.hpp"

#include <cmath>

namespace sarang::http {
namespace {

std::optional<std::string> short_text(const json_t* meta, const char* field, std::size_t max) {
    const json_t* value = json_object_get(meta, field);
    if (value == nullptr || json_is_null(value))
        return std::nullopt;
    if (!json_is_string(value))
        fail_validation(field, "must be a string");
    std::string text(json_string_value(value), json_string_length(value));
    if (text.size() > max)
        fail_validation(field, "must be at most " + std::to_string(max) + " characters");
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7F)
            fail_validation(field, "must not contain control characters");
    }
    return text;
}

} // namespace

PackageMeta parse_package_meta(std::string_view text) {
    PackageMeta meta;
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return meta;
    std::string error;
    json::Ptr parsed = json::parse(text, error);
    if (!parsed || !json_is_object(parsed.get()))
        throw HttpError(400, "bad_meta", "meta must be a JSON object: " + error);
    meta.device_id = short_text(parsed.get(), "deviceId", 64);
    if (std::optional<std::string> reason = short_text(parsed.get(), "reason", 32))
        meta.reason = *reason;
    meta.firmware = short_text(parsed.get(), "firmware", 100);
    const json_t* distance = json_object_get(parsed.get(), "distanceCm");
    if (distance != nullptr && !json_is_null(distance)) {
        if (!json_is_number(distance))
            fail_validation("distanceCm", "must be a number");
        double cm = json_number_value(distance);
        if (!std::isfinite(cm) || cm < 0 || cm > 1000)
            fail_validation("distanceCm", "must be from 0 to 1000");
        meta.distance_cm = cm;
    }
    return meta;
}

} // namespace sarang::http
