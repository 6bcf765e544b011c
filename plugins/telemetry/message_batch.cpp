#include "message_batch.hpp"

#include "sarang/topic_rules.hpp"

#include <cstdio>
#include <ctime>

namespace sarang::telemetry {
namespace {

const char* shape_name(Shape shape) {
    return shape == Shape::status ? "status" : "event";
}

void stage_message(const RawMessage& message, const DataTopic& topic, StagedBatch& out) {
    ParsedMessage parsed = parse_data_message(topic, message.payload);
    if (!parsed.ok()) {
        out.rejected.push_back({message.device_id, message.topic,
                                std::string(rejection_reason(parsed)), std::move(parsed.error),
                                rejection_sample(message.payload)});
        return;
    }
    std::string at = timestamp_text(message_time(message.received_at, parsed.device_time));
    for (const Metric& metric : parsed.metrics) {
        char value[32];
        std::snprintf(value, sizeof value, "%.17g", metric.value);
        std::string& line = out.readings;
        append_copy_field(line, message.device_id);
        line += '\t';
        line += metric.name;
        line += '\t';
        line += at;
        line += '\t';
        line += value;
        line += '\n';
        ++out.reading_rows;
    }
    if (topic.shape != Shape::readings) {
        std::string& line = out.messages;
        append_copy_field(line, message.device_id);
        line += '\t';
        line += topic.subtopic;
        line += '\t';
        line += shape_name(topic.shape);
        line += '\t';
        line += at;
        line += '\t';
        append_copy_field(line, parsed.kept_json);
        line += '\t';
        line += !parsed.online ? "\\N" : (*parsed.online ? "t" : "f");
        line += '\n';
        ++out.message_rows;
    }
    ++out.accepted;
}

} // namespace

StagedBatch stage(const std::vector<RawMessage>& messages,
                  const std::map<std::string, DeviceInfo>& devices) {
    StagedBatch out;
    for (const RawMessage& message : messages) {
        auto device = devices.find(message.device_id);
        if (device == devices.end()) {
            out.rejected.push_back({message.device_id, message.topic, "unknown_device",
                                    "unknown device", rejection_sample(message.payload)});
            continue;
        }
        const KindSpec* kind = find_kind(device->second.kind);
        if (kind == nullptr) {
            out.rejected.push_back({message.device_id, message.topic, "unknown_kind",
                                    "unknown kind " + device->second.kind,
                                    rejection_sample(message.payload)});
            continue;
        }
        // The access plugin already limits devices to their prefix; checked again so this
        // plugin never stores a topic it did not verify.
        std::string_view subtopic = subtopic_under(device->second.topic_prefix, message.topic);
        if (subtopic.empty()) {
            out.rejected.push_back({message.device_id, message.topic, "wrong_topic",
                                    "not under this device's prefix",
                                    rejection_sample(message.payload)});
            continue;
        }
        const DataTopic* topic = kind->data_topic(subtopic);
        if (topic == nullptr) {
            ++out.ignored; // e.g. dispense_result: the vending plugin's
            continue;
        }
        stage_message(message, *topic, out);
    }
    return out;
}

std::string timestamp_text(TimePoint when) {
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
    long fraction = static_cast<long>(micros % 1000000);
    if (fraction < 0) {
        fraction += 1000000;
        --seconds;
    }
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[48];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
    return text;
}

void append_copy_field(std::string& line, std::string_view value) {
    for (char c : value) {
        switch (c) {
        case '\\':
            line += "\\\\";
            break;
        case '\t':
            line += "\\t";
            break;
        case '\n':
            line += "\\n";
            break;
        case '\r':
            line += "\\r";
            break;
        default:
            line += c;
        }
    }
}

} // namespace sarang::telemetry
