#include "sarang/data_message.hpp"

#include "sarang/flat_json.hpp"
#include "sarang/json.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace sarang {
namespace {

using namespace std::chrono;

using flat_json::Value;

bool has_type(const Value& value, FieldType type) {
    switch (type) {
    case FieldType::string:
        return value.type == Value::Type::string;
    case FieldType::number:
        return value.type == Value::Type::integer || value.type == Value::Type::real;
    case FieldType::boolean:
        return value.type == Value::Type::boolean;
    case FieldType::array:
        return value.type == Value::Type::array;
    case FieldType::object:
        return value.type == Value::Type::object;
    }
    return false;
}

bool is_number(const Value& value) {
    return has_type(value, FieldType::number);
}

// A jansson value in the terms the checks below use, so that they read jansson's tree and
// flat_json's scan alike. A string's text ends at its first NUL, as json_string_value's does.
// An absent member reads as null: every check treats the two alike.
Value value_of(const json_t* json) {
    Value value;
    if (json == nullptr)
        return value;
    switch (json_typeof(json)) {
    case JSON_NULL:
        break;
    case JSON_STRING:
        value.type = Value::Type::string;
        value.text = json_string_value(json);
        break;
    case JSON_INTEGER:
        value.type = Value::Type::integer;
        value.integer = json_integer_value(json);
        value.number = json_number_value(json);
        break;
    case JSON_REAL:
        value.type = Value::Type::real;
        value.number = json_real_value(json);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        value.type = Value::Type::boolean;
        value.boolean = json_is_true(json);
        break;
    case JSON_ARRAY:
        value.type = Value::Type::array;
        break;
    case JSON_OBJECT:
        value.type = Value::Type::object;
        break;
    }
    return value;
}

// A payload's object, whichever reader read it.
class Fields {
  public:
    explicit Fields(const json_t* root) : root_(root) {}
    explicit Fields(const flat_json::Object& flat) : flat_(&flat) {}

    // The member; Type::null when it is absent or a JSON null, which every check treats alike.
    // (A plain Value rather than an optional: valgrind took the optional's unset payload, which
    // the compiler's code for `!value || value->type == null` reads, as a branch on garbage.)
    Value get(std::string_view name) const {
        if (flat_ != nullptr) {
            const Value* value = flat_->find(name);
            return value != nullptr ? *value : Value{};
        }
        return value_of(json_object_getn(root_, name.data(), name.size()));
    }

  private:
    const json_t* root_ = nullptr;
    const flat_json::Object* flat_ = nullptr;
};

bool is_null(const Value& value) {
    return value.type == Value::Type::null;
}

const char* type_name(FieldType type) {
    switch (type) {
    case FieldType::string:
        return "a string";
    case FieldType::number:
        return "a number";
    case FieldType::boolean:
        return "true or false";
    case FieldType::array:
        return "an array";
    case FieldType::object:
        return "an object";
    }
    return "?";
}

std::optional<bool> online_word(std::string_view word) {
    auto equals = [&](std::string_view expected) {
        if (word.size() != expected.size())
            return false;
        for (std::size_t i = 0; i < word.size(); ++i) {
            char c = word[i];
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
            if (c != expected[i])
                return false;
        }
        return true;
    };
    if (equals("online"))
        return true;
    if (equals("offline"))
        return false;
    return std::nullopt;
}

// A TimePoint counts nanoseconds in 64 bits: it ends in April 2262. A later time is no clock's,
// and converting it would overflow.
constexpr int last_year = 2261;
constexpr double last_epoch_second = 9.2e9;

// Epoch time in the unit its magnitude names: up to 1e11 seconds (the year 5138), then up to
// 1e14 milliseconds, up to 1e17 microseconds, above that nanoseconds. The smallest value of each
// larger unit (1e11 ms, 1e14 us, 1e17 ns) is 1973-03-03, so any time from then until 2262 reads
// right in every unit; docs/telemetry.md lists the ranges.
constexpr double last_epoch_seconds = 1e11, last_epoch_millis = 1e14, last_epoch_micros = 1e17;

std::optional<TimePoint> epoch_time(double number) {
    if (!std::isfinite(number) || number <= 0)
        return std::nullopt;
    double seconds_value = number;
    if (number > last_epoch_micros)
        seconds_value = number / 1e9;
    else if (number > last_epoch_millis)
        seconds_value = number / 1e6;
    else if (number > last_epoch_seconds)
        seconds_value = number / 1e3;
    if (seconds_value > last_epoch_second)
        return std::nullopt;
    if (number > last_epoch_micros)
        return TimePoint(duration_cast<system_clock::duration>(nanoseconds(std::llround(number))));
    if (number > last_epoch_millis)
        return TimePoint(microseconds(std::llround(number)));
    if (number > last_epoch_seconds)
        return TimePoint(milliseconds(std::llround(number)));
    return TimePoint(microseconds(std::llround(number * 1e6)));
}

// Integers exactly (a nanosecond count is beyond a double's 53 bits of precision).
std::optional<TimePoint> epoch_time(const Value& value) {
    constexpr std::int64_t last_micros = 100'000'000'000'000'000; // compared exactly, not as double
    if (value.type == Value::Type::integer && value.integer > last_micros) {
        std::int64_t ns = value.integer;
        if (static_cast<double>(ns) / 1e9 > last_epoch_second)
            return std::nullopt;
        return TimePoint(duration_cast<system_clock::duration>(nanoseconds(ns)));
    }
    return epoch_time(value.number);
}

// The device's clock, if it sent one; a malformed timestamp rejects the message, since the
// firmware that sent it is broken in a way someone should see.
bool read_device_time(const Fields& root, ParsedMessage& out) {
    Value ts = root.get("ts");
    Value given = !is_null(ts) ? ts : root.get("timestamp");
    const char* name = !is_null(ts) ? "ts" : "timestamp";
    if (is_null(given))
        return true;
    if (is_number(given))
        out.device_time = epoch_time(given);
    else if (given.type == Value::Type::string)
        out.device_time = parse_iso8601(given.text);
    if (!out.device_time) {
        out.error =
            std::string(name) +
            " must be epoch seconds, milliseconds, microseconds or nanoseconds, or ISO 8601";
        out.field = name;
        return false;
    }
    return true;
}

bool read_metrics(const Fields& root, const DataTopic& topic, ParsedMessage& out) {
    for (const MetricSpec& spec : topic.metrics) {
        Value value = root.get(spec.json_field());
        if (is_null(value))
            continue;
        std::string field(spec.json_field());
        if (!is_number(value)) {
            out.error = field + " must be a number";
            out.field = field;
            return false;
        }
        double number = value.number;
        if (!std::isfinite(number) || number < spec.min || number > spec.max) {
            char range[96];
            std::snprintf(range, sizeof range, " out of range [%g, %g]", spec.min, spec.max);
            out.error = field + range;
            out.field = field;
            return false;
        }
        out.metrics.push_back({std::string(spec.name), number});
    }
    return true;
}

bool read_fields(const Fields& root, const DataTopic& topic, ParsedMessage& out) {
    for (const FieldSpec& spec : topic.fields) {
        Value value = root.get(spec.name);
        if (!is_null(value) && !has_type(value, spec.type)) {
            std::string field(spec.name);
            out.error = field + " must be " + type_name(spec.type);
            out.field = field;
            return false;
        }
    }
    return true;
}

// {"status":"ONLINE"} (seed 001) or {"online":true}; anything else says nothing about it.
std::optional<bool> online_in_object(json_t* root) {
    json_t* online = json_object_get(root, "online");
    if (json_is_boolean(online))
        return json_is_true(online);
    json_t* status = json_object_get(root, "status");
    if (json_is_string(status))
        return online_word(json_string_value(status));
    return std::nullopt;
}

ParsedMessage parse_status_word(std::string_view payload) {
    ParsedMessage out;
    out.online = online_word(payload);
    if (!out.online)
        out.error = R"(status must be "online", "offline" or a JSON object)";
    else
        out.kept_json = *out.online ? R"("online")" : R"("offline")";
    return out;
}

int digits(std::string_view text, std::size_t at, std::size_t count) {
    if (at + count > text.size())
        return -1;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

} // namespace

std::optional<TimePoint> parse_iso8601(std::string_view text) {
    int year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
    int hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
    if (year < 1970 || year > last_year || month < 1 || month > 12 || day < 1 || day > 31 ||
        hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 ||
        text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':')
        return std::nullopt;
    std::size_t at = 19;
    long nanos = 0;
    if (at < text.size() && text[at] == '.') {
        long scale = 100000000;
        ++at;
        std::size_t first = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            nanos += (text[at] - '0') * scale;
            scale /= 10;
            ++at;
        }
        if (at == first)
            return std::nullopt;
    }
    long offset_seconds = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
        // UTC
    } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') &&
               text[at + 3] == ':') {
        int hours = digits(text, at + 1, 2), minutes = digits(text, at + 4, 2);
        if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59)
            return std::nullopt;
        offset_seconds = (hours * 3600L + minutes * 60L) * (text[at] == '+' ? 1 : -1);
    } else {
        return std::nullopt; // no zone: the device's local time is unknowable here
    }
    std::tm utc{};
    utc.tm_year = year - 1900;
    utc.tm_mon = month - 1;
    utc.tm_mday = day;
    utc.tm_hour = hour;
    utc.tm_min = minute;
    utc.tm_sec = second;
    std::time_t epoch = timegm(&utc);
    if (utc.tm_mday != day) // 2025-02-31 rolled over
        return std::nullopt;
    return TimePoint(duration_cast<system_clock::duration>(seconds(epoch - offset_seconds) +
                                                           nanoseconds(nanos)));
}

namespace {

// The checks every object payload passes, whichever reader read it.
ParsedMessage check_object(const DataTopic& topic, const Fields& root, ParsedMessage out) {
    if (!read_device_time(root, out) || !read_metrics(root, topic, out) ||
        !read_fields(root, topic, out)) {
        out.metrics.clear();
        return out;
    }
    if (topic.shape == Shape::readings && out.metrics.empty())
        out.error = "no known metric in payload";
    return out;
}

ParsedMessage oversized() {
    ParsedMessage out;
    out.error = "payload over " + std::to_string(max_data_payload) + " bytes";
    return out;
}

} // namespace

ParsedMessage parse_data_message_tree(const DataTopic& topic, std::string_view payload) {
    if (payload.size() > max_data_payload)
        return oversized();
    ParsedMessage out;
    std::string parse_error;
    json::Ptr root = json::parse(payload, parse_error);
    if (topic.shape == Shape::status && (!root || json_is_string(root.get())))
        return parse_status_word(root ? json_string_value(root.get()) : payload);
    if (!root) {
        out.error = "not JSON: " + parse_error;
        return out;
    }
    if (!json_is_object(root.get())) {
        out.error = "expected a JSON object";
        return out;
    }
    out = check_object(topic, Fields(root.get()), std::move(out));
    if (!out.ok())
        return out;
    if (topic.shape == Shape::status)
        out.online = online_in_object(root.get());
    if (topic.shape != Shape::readings)
        out.kept_json = json::dump(root.get());
    return out;
}

ParsedMessage parse_data_message(const DataTopic& topic, std::string_view payload) {
    if (payload.size() > max_data_payload)
        return oversized();
    // Readings keep nothing of the payload but their numbers, so the common flat object is
    // read in place (about half the telemetry writer's CPU per message went to building
    // jansson's tree); the other shapes keep the payload as JSON, and anything not flat is
    // jansson's to read or refuse.
    if (topic.shape == Shape::readings)
        if (std::optional<flat_json::Object> flat = flat_json::scan_object(payload))
            return check_object(topic, Fields(*flat), ParsedMessage{});
    return parse_data_message_tree(topic, payload);
}

std::string_view rejection_reason(const ParsedMessage& message) {
    const std::string& error = message.error;
    if (error.empty())
        return {};
    if (error.starts_with("payload over"))
        return "oversized";
    if (error.starts_with("not JSON"))
        return "not_json";
    if (error == "expected a JSON object")
        return "not_object";
    if (message.field == "ts" || message.field == "timestamp")
        return "bad_timestamp";
    if (error.starts_with("no known metric"))
        return "no_metric";
    if (!message.field.empty())
        return "bad_field";
    return "bad_payload";
}

std::string rejection_sample(std::string_view payload, std::size_t max_bytes) {
    std::string text;
    for (char c : json::valid_utf8(payload.substr(0, max_bytes))) {
        if (c == '\0')
            text += "\xEF\xBF\xBD"; // PostgreSQL text holds no NUL
        else
            text += c;
    }
    // U+FFFD is three bytes, so the text can outgrow the limit; back off to a lead byte.
    if (text.size() > max_bytes) {
        std::size_t end = max_bytes;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
        text.resize(end);
    }
    return text;
}

TimePoint message_time(TimePoint received, std::optional<TimePoint> device_time) {
    if (device_time && *device_time >= received - days(7) && *device_time <= received + minutes(5))
        return *device_time;
    return received;
}

} // namespace sarang
