#pragma once
// Every payload the devices of the seeds send, and the commands they receive, as Sarang's
// backend accepts them (core/src/device_kinds.cpp, data_message.cpp, vending.cpp,
// door_pin.cpp; docs/telemetry.md, commands.md, vending.md, parcel.md, doorlock.md). Built
// with cJSON, never by string concatenation. `ts` is the device's clock in epoch milliseconds;
// 0 (unknown) leaves it out. Answers to a command echo its "id" when it had one.
#include "sarang_fw/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang_fw::messages {

// ---- every kind: {prefix}/status ----
struct Status {
    bool online = true;
    std::optional<int> rssi;
    std::string firmware;
    std::string chip_id; // env-sensor: replaces the app's temporary chip id (seed 002)
};
std::string status(const Status& status);

// ---- hydro-sensor (seed 003): {prefix}/reading ----
struct HydroReading {
    double tds_ppm = 0;
    double ph = 7;
    std::optional<double> temperature_c;
};
std::string hydro_reading(const HydroReading& reading, std::int64_t ts);

// ---- env-sensor (seed 002): {prefix}/reading ----
std::string env_reading(double temperature_c, double humidity_percent, std::int64_t ts);

// ---- vending (seed 001) ----
struct SlotLevel {
    int slot = 1;
    std::string level; // FULL, LOW, EMPTY
};
std::string vending_telemetry(const std::vector<SlotLevel>& slots, double temperature_c,
                              bool door_closed, std::int64_t ts);
std::string vending_status(bool online, bool door_closed, std::optional<int> rssi,
                           std::string_view firmware);

struct DispenseCommand {
    std::string id;
    std::string order_id;
    int slot = 0;
    int timeout_ms = 2150;
};
// nullopt unless {"cmd":"dispense","slot":1-255,"orderId":...}; timeoutMs 100-60000 or 2150.
std::optional<DispenseCommand> parse_dispense(const JsonView& command);

struct DispenseResult {
    std::string id;
    std::string order_id;
    int slot = 0;
    bool success = false;
    bool drop_detected = false;
    long duration_ms = 0;
    std::string error; // "" -> null
};
std::string dispense_result(const DispenseResult& result);

// ---- parcel-box (seed 004) ----
std::string parcel_distance(double cm, std::int64_t ts);
std::string parcel_event(std::string_view type, std::optional<double> cm, std::int64_t ts);
std::string parcel_photo_status(bool ok, std::string_view photo_url, std::string_view error);
// The upload's meta part (POST /api/v1/packages).
std::string parcel_upload_meta(std::string_view device_id, double cm, std::string_view reason,
                               std::string_view firmware);

struct ParcelSettings {
    int ultra_min_cm = 12;
    int ultra_max_cm = 25;
    int lock_ms = 5000;
    int buzzer_ms = 60000;
    int buzz_on_ms = 500;
    int buzz_off_ms = 300;
};
std::string parcel_settings(const ParcelSettings& settings);
// Applies a settings/set change to current; nullopt (and current untouched) when any value is
// outside the backend's ranges (docs/parcel.md).
std::optional<ParcelSettings> apply_parcel_settings(const ParcelSettings& current,
                                                    const JsonView& change);

struct ParcelControl {
    enum class Action { capture, flash, buzzer, holder, pipeline, unknown };
    Action action = Action::unknown;
    std::string name;  // capture, flash, buzzer, holder, pipeline
    std::string state; // flash on|off|pulse, buzzer start|stop, holder open|pulse|closed, ...
    std::optional<int> ms;
};
ParcelControl parse_parcel_control(const JsonView& command);
// {"action","ok"[,"error"],"id"}
std::string control_ack(std::string_view action, bool ok, std::string_view error,
                        std::string_view id);
std::string settings_ack(bool ok, std::string_view error, std::string_view id);

// ---- door-lock (seed 004, PINs checked by the broker) ----
std::string pin_attempt(std::string_view pin, std::string_view attempt_id);
struct PinVerdict {
    std::string attempt_id;
    bool ok = false;
    std::string error;
    std::optional<int> remaining_attempts;
    std::optional<int> remaining_seconds;
};
std::optional<PinVerdict> parse_verdict(const JsonView& verdict);
// {"state":"locked"|"unlocked","method"[,"id"]}: the answer to a remote unlock as well
std::string lock_status(bool unlocked, std::string_view method, std::string_view command_id);
std::string lock_alert(int attempts, bool lockout);
struct UnlockCommand {
    std::string id;
    std::string method; // keypad, remote
};
std::optional<UnlockCommand> parse_unlock(const JsonView& command);

// ---- relay (seed 000) ----
std::optional<bool> parse_relay_command(const JsonView& command);
std::string relay_state(bool on, std::string_view command_id);

} // namespace sarang_fw::messages
