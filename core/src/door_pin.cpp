#include "sarang/door_pin.hpp"

#include "sarang/json.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace sarang::door {

Reservation reserve(const KeyState& state, const Rule& rule, WallTime now) {
    Reservation result;
    if (state.locked_until > now) {
        result.until = state.locked_until;
        return result;
    }
    // Counted as a failure until its PIN proves right (settle then forgets it). The attempt that
    // reaches the lock holds it while it is verified, so attempts racing it are refused rather
    // than verified.
    result.next = after_failure(state, rule, now);
    result.allowed = true;
    result.attempt = result.next.failures;
    return result;
}

std::optional<WallTime> lock_after_failure(int attempt, const Rule& rule, WallTime now) {
    std::optional<std::chrono::seconds> lock = lockout_for(attempt, rule);
    if (!lock)
        return std::nullopt;
    return now + std::chrono::duration_cast<WallTime::duration>(*lock);
}

int remaining_attempts(int attempt, const Rule& rule) {
    return std::max(0, rule.lock_after - attempt);
}

long long seconds_left(WallTime until, WallTime now) {
    if (until <= now)
        return 0;
    return std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(until - now).count());
}

std::string iso8601(WallTime at) {
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
    std::time_t seconds = static_cast<std::time_t>(millis.count() / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis.count() % 1000));
    return text;
}

namespace {

bool printable_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 &&
           std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

} // namespace

std::optional<Attempt> parse_attempt(std::string_view payload, std::string& problem) {
    if (payload.size() > max_attempt_bytes) {
        problem = "attempt larger than " + std::to_string(max_attempt_bytes) + " bytes";
        return std::nullopt;
    }
    std::string error;
    json::Ptr root = json::parse(payload, error);
    if (!root || !json_is_object(root.get())) {
        problem = "not a JSON object";
        return std::nullopt;
    }
    const json_t* pin = json_object_get(root.get(), "pin");
    if (!json_is_string(pin) || json_string_length(pin) == 0 || json_string_length(pin) > 64) {
        problem = "pin must be a string of 1-64 characters";
        return std::nullopt;
    }
    Attempt attempt{std::string(json_string_value(pin), json_string_length(pin)), ""};
    const json_t* id = json_object_get(root.get(), "attemptId");
    if (id != nullptr && !json_is_null(id)) {
        if (!json_is_string(id) || !printable_id({json_string_value(id), json_string_length(id)})) {
            problem = "attemptId must be 1-64 printable ASCII characters";
            return std::nullopt;
        }
        attempt.attempt_id = json_string_value(id);
    }
    return attempt;
}

std::string verdict_json(const Verdict& verdict) {
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "attemptId",
              json::own(verdict.attempt_id.empty() ? json_null()
                                                   : json_string(verdict.attempt_id.c_str())));
    json::set(body.get(), "ok", json::own(json_boolean(verdict.ok)));
    if (verdict.remaining_attempts)
        json::set(body.get(), "remainingAttempts",
                  json::own(json_integer(*verdict.remaining_attempts)));
    if (verdict.lockout_until) {
        json::set(body.get(), "lockoutUntil",
                  json::own(json_string(iso8601(*verdict.lockout_until).c_str())));
        json::set(body.get(), "remainingSeconds",
                  json::own(json_integer(verdict.remaining_seconds)));
    }
    if (!verdict.error.empty())
        json::set(body.get(), "error", json::own(json_string(verdict.error.c_str())));
    return json::dump(body.get());
}

std::optional<std::string> lock_alert_data(std::string_view payload) {
    if (payload.size() > max_attempt_bytes)
        return std::nullopt;
    std::string error;
    json::Ptr root = json::parse(payload, error);
    if (!root || !json_is_object(root.get()))
        return std::nullopt;
    json::Ptr data = json::own(json_object());
    const json_t* attempts = json_object_get(root.get(), "attempts");
    if (json_is_integer(attempts))
        json::set(data.get(), "attempts", json::own(json_integer(json_integer_value(attempts))));
    const json_t* lockout = json_object_get(root.get(), "lockout");
    if (json_is_boolean(lockout))
        json::set(data.get(), "lockout", json::own(json_boolean(json_is_true(lockout))));
    json::set(data.get(), "source", json::own(json_string("lock")));
    return json::dump(data.get());
}

std::string unlock_json(std::string_view method) {
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "action", json::own(json_string("unlock")));
    json::set(body.get(), "method", json::own(json_stringn(method.data(), method.size())));
    return json::dump(body.get());
}

} // namespace sarang::door
