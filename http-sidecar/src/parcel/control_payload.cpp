#include "control_payload.hpp"

#include "http_error.hpp"

#include <initializer_list>
#include <optional>
#include <string>

namespace sarang::http {
namespace {

std::string choice(const json_t* body, const char* field,
                   std::initializer_list<std::string_view> allowed) {
    const json_t* value = json_object_get(body, field);
    std::string list;
    for (std::string_view option : allowed)
        list += (list.empty() ? "" : ", ") + std::string(option);
    if (value == nullptr || !json_is_string(value))
        fail_validation(field, "is required: one of " + list);
    std::string_view text(json_string_value(value), json_string_length(value));
    for (std::string_view option : allowed) {
        if (text == option)
            return std::string(text);
    }
    fail_validation(field, "must be one of " + list);
}

std::optional<long long> duration(const json_t* body, long long min, long long max) {
    const json_t* value = json_object_get(body, "ms");
    if (value == nullptr || json_is_null(value))
        return std::nullopt;
    if (!json_is_integer(value) || json_integer_value(value) < min ||
        json_integer_value(value) > max)
        fail_validation("ms", "must be a whole number from " + std::to_string(min) + " to " +
                                  std::to_string(max));
    return json_integer_value(value);
}

json::Ptr with(const char* key, json::Ptr value, std::optional<long long> ms = std::nullopt) {
    json::Ptr payload = json::own(json_object());
    json::set(payload.get(), key, std::move(value));
    if (ms)
        json::set(payload.get(), "ms", json::own(json_integer(*ms)));
    return payload;
}

json::Ptr text(const std::string& value) {
    return json::own(json_string(value.c_str()));
}

} // namespace

json::Ptr control_payload(std::string_view action, const json_t* body) {
    if (action == "capture")
        return with("capture", json::own(json_true()));
    if (action == "stop-pipeline")
        return with("pipeline", text("stop"));
    if (action == "flash") {
        std::string state = choice(body, "state", {"on", "off", "pulse"});
        std::optional<long long> ms = duration(body, 10, 5000);
        return with("flash", text(state),
                    state == "pulse" ? std::optional<long long>(ms.value_or(150)) : std::nullopt);
    }
    if (action == "buzzer") {
        std::string verb = choice(body, "action", {"start", "stop"});
        std::optional<long long> ms = duration(body, 1000, 300000);
        return with("buzzer", text(verb), verb == "start" ? ms : std::nullopt);
    }
    if (action == "holder") {
        std::string verb = choice(body, "action", {"open", "closed", "pulse"});
        std::optional<long long> ms = duration(body, 1000, 60000);
        return with("holder", text(verb), verb == "closed" ? std::nullopt : ms);
    }
    throw HttpError(404, "not_found", "no control action " + std::string(action));
}

std::string_view control_name(const json_t* payload) {
    for (std::string_view key : {"capture", "flash", "buzzer", "holder"}) {
        if (json_object_get(payload, std::string(key).c_str()) != nullptr)
            return key;
    }
    if (json_object_get(payload, "pipeline") != nullptr)
        return "stop-pipeline";
    return {};
}

} // namespace sarang::http
