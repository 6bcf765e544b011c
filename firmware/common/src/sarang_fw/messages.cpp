#include "sarang_fw/messages.hpp"

namespace sarang_fw::messages {
namespace {

Json& with_time(Json& message, std::int64_t ts) {
    if (ts > 0)
        message.set_number("ts", static_cast<double>(ts));
    return message;
}

Json& with_id(Json& message, std::string_view id) {
    if (!id.empty())
        message.set_string("id", id);
    return message;
}

bool in_range(std::optional<long long> value, long long low, long long high) {
    return value && *value >= low && *value <= high;
}

// A settings value of change.<group>.<field>: absent keeps current; present must be in range.
bool take(const JsonView& change, const char* group, const char* field, long long low,
          long long high, int& into) {
    JsonView values = change.field(group);
    if (!values.exists())
        return true;
    if (!values.is_object())
        return false;
    JsonView value = values.field(field);
    if (!value.exists())
        return true;
    std::optional<long long> number = values.whole_number(field);
    if (!in_range(number, low, high))
        return false;
    into = static_cast<int>(*number);
    return true;
}

} // namespace

std::string status(const Status& status) {
    Json out = Json::object();
    out.set_string("status", status.online ? "online" : "offline");
    if (status.rssi)
        out.set_number("rssi", *status.rssi);
    if (!status.firmware.empty())
        out.set_string("fw", status.firmware);
    if (!status.chip_id.empty())
        out.set_string("chip_id", status.chip_id);
    return out.print();
}

std::string hydro_reading(const HydroReading& reading, std::int64_t ts) {
    Json out = Json::object();
    out.set_number("tds", reading.tds_ppm).set_number("ph", reading.ph);
    if (reading.temperature_c)
        out.set_number("temperature", *reading.temperature_c);
    return with_time(out, ts).print();
}

std::string env_reading(double temperature_c, double humidity_percent, std::int64_t ts) {
    Json out = Json::object();
    out.set_number("temperature", temperature_c).set_number("humidity", humidity_percent);
    return with_time(out, ts).print();
}

std::string vending_telemetry(const std::vector<SlotLevel>& slots, double temperature_c,
                              bool door_closed, std::int64_t ts) {
    Json levels = Json::array();
    for (const SlotLevel& slot : slots)
        levels.append(
            std::move(Json::object().set_number("id", slot.slot).set_string("level", slot.level)));
    Json out = Json::object();
    out.set_json("slots", std::move(levels))
        .set_number("temperature", temperature_c)
        .set_string("door", door_closed ? "CLOSED" : "OPEN");
    return with_time(out, ts).print();
}

std::string vending_status(bool online, bool door_closed, std::optional<int> rssi,
                           std::string_view firmware) {
    Json out = Json::object();
    out.set_string("status", online ? "ONLINE" : "OFFLINE")
        .set_string("door", door_closed ? "CLOSED" : "OPEN");
    if (rssi)
        out.set_number("rssi", *rssi);
    if (!firmware.empty())
        out.set_string("fw", firmware);
    return out.print();
}

std::optional<DispenseCommand> parse_dispense(const JsonView& command) {
    if (command.string("cmd").value_or("") != "dispense")
        return std::nullopt;
    DispenseCommand out;
    std::optional<std::string> order = command.string("orderId");
    std::optional<long long> slot = command.whole_number("slot");
    if (!order || order->empty() || order->size() > 64 || !in_range(slot, 1, 255))
        return std::nullopt;
    out.order_id = *order;
    out.slot = static_cast<int>(*slot);
    out.id = command.string("id").value_or("");
    std::optional<long long> timeout = command.whole_number("timeoutMs");
    if (in_range(timeout, 100, 60000))
        out.timeout_ms = static_cast<int>(*timeout);
    return out;
}

std::string dispense_result(const DispenseResult& result) {
    Json out = Json::object();
    out.set_string("orderId", result.order_id)
        .set_number("slot", result.slot)
        .set_bool("success", result.success)
        .set_bool("dropDetected", result.drop_detected)
        .set_number("durationMs", static_cast<double>(result.duration_ms));
    if (result.error.empty())
        out.set_null("error");
    else
        out.set_string("error", result.error);
    return with_id(out, result.id).print();
}

std::string parcel_distance(double cm, std::int64_t ts) {
    Json out = Json::object();
    out.set_number("cm", cm);
    return with_time(out, ts).print();
}

std::string parcel_event(std::string_view type, std::optional<double> cm, std::int64_t ts) {
    Json out = Json::object();
    out.set_string("type", type);
    if (cm)
        out.set_number("cm", *cm);
    return with_time(out, ts).print();
}

std::string parcel_photo_status(bool ok, std::string_view photo_url, std::string_view error) {
    Json out = Json::object();
    out.set_bool("ok", ok);
    if (!photo_url.empty())
        out.set_string("photoUrl", photo_url);
    if (!error.empty())
        out.set_string("error", error);
    return out.print();
}

std::string parcel_upload_meta(std::string_view device_id, double cm, std::string_view reason,
                               std::string_view firmware) {
    return Json::object()
        .set_string("deviceId", device_id)
        .set_number("distanceCm", cm)
        .set_string("reason", reason)
        .set_string("firmware", firmware)
        .print();
}

std::string parcel_settings(const ParcelSettings& settings) {
    Json out = Json::object();
    out.set_json("ultra", std::move(Json::object()
                                        .set_number("min", settings.ultra_min_cm)
                                        .set_number("max", settings.ultra_max_cm)));
    out.set_json("lock", std::move(Json::object().set_number("ms", settings.lock_ms)));
    out.set_json("buzzer", std::move(Json::object()
                                         .set_number("ms", settings.buzzer_ms)
                                         .set_number("buzzOn", settings.buzz_on_ms)
                                         .set_number("buzzOff", settings.buzz_off_ms)));
    return out.print();
}

std::optional<ParcelSettings> apply_parcel_settings(const ParcelSettings& current,
                                                    const JsonView& change) {
    ParcelSettings next = current;
    bool ok = take(change, "ultra", "min", 5, 50, next.ultra_min_cm) &&
              take(change, "ultra", "max", 10, 50, next.ultra_max_cm) &&
              take(change, "lock", "ms", 1000, 60000, next.lock_ms) &&
              take(change, "buzzer", "ms", 1000, 300000, next.buzzer_ms) &&
              take(change, "buzzer", "buzzOn", 100, 2000, next.buzz_on_ms) &&
              take(change, "buzzer", "buzzOff", 100, 2000, next.buzz_off_ms);
    if (!ok || next.ultra_min_cm >= next.ultra_max_cm)
        return std::nullopt;
    return next;
}

ParcelControl parse_parcel_control(const JsonView& command) {
    ParcelControl out;
    if (command.boolean("capture").value_or(false)) {
        out.action = ParcelControl::Action::capture;
        out.name = "capture";
        return out;
    }
    struct Named {
        const char* field;
        ParcelControl::Action action;
    };
    static constexpr Named named[] = {{"flash", ParcelControl::Action::flash},
                                      {"buzzer", ParcelControl::Action::buzzer},
                                      {"holder", ParcelControl::Action::holder},
                                      {"pipeline", ParcelControl::Action::pipeline}};
    for (const Named& candidate : named) {
        if (std::optional<std::string> state = command.string(candidate.field)) {
            out.action = candidate.action;
            out.name = candidate.field;
            out.state = *state;
            if (std::optional<long long> ms = command.whole_number("ms"))
                out.ms = static_cast<int>(*ms);
            return out;
        }
    }
    return out;
}

std::string control_ack(std::string_view action, bool ok, std::string_view error,
                        std::string_view id) {
    Json out = Json::object();
    out.set_string("action", action).set_bool("ok", ok);
    if (!error.empty())
        out.set_string("error", error);
    return with_id(out, id).print();
}

std::string settings_ack(bool ok, std::string_view error, std::string_view id) {
    Json out = Json::object();
    out.set_bool("ok", ok);
    if (!error.empty())
        out.set_string("error", error);
    return with_id(out, id).print();
}

std::string pin_attempt(std::string_view pin, std::string_view attempt_id) {
    return Json::object().set_string("pin", pin).set_string("attemptId", attempt_id).print();
}

std::optional<PinVerdict> parse_verdict(const JsonView& verdict) {
    std::optional<bool> ok = verdict.boolean("ok");
    if (!ok)
        return std::nullopt;
    PinVerdict out;
    out.ok = *ok;
    out.attempt_id = verdict.string("attemptId").value_or("");
    out.error = verdict.string("error").value_or("");
    if (std::optional<long long> remaining = verdict.whole_number("remainingAttempts"))
        out.remaining_attempts = static_cast<int>(*remaining);
    if (std::optional<long long> seconds = verdict.whole_number("remainingSeconds"))
        out.remaining_seconds = static_cast<int>(*seconds);
    return out;
}

std::string lock_status(bool unlocked, std::string_view method, std::string_view command_id) {
    Json out = Json::object();
    out.set_string("state", unlocked ? "unlocked" : "locked");
    if (!method.empty())
        out.set_string("method", method);
    return with_id(out, command_id).print();
}

std::string lock_alert(int attempts, bool lockout) {
    return Json::object().set_number("attempts", attempts).set_bool("lockout", lockout).print();
}

std::optional<UnlockCommand> parse_unlock(const JsonView& command) {
    if (command.string("action").value_or("") != "unlock")
        return std::nullopt;
    return UnlockCommand{command.string("id").value_or(""),
                         command.string("method").value_or("remote")};
}

std::optional<bool> parse_relay_command(const JsonView& command) {
    if (std::optional<bool> on = command.boolean("on"))
        return on;
    std::string state = command.string("state").value_or("");
    if (state == "on")
        return true;
    if (state == "off")
        return false;
    return std::nullopt;
}

std::string relay_state(bool on, std::string_view command_id) {
    Json out = Json::object();
    out.set_string("state", on ? "on" : "off");
    return with_id(out, command_id).print();
}

} // namespace sarang_fw::messages
