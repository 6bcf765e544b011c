#include "reading_batch.hpp"

#include "sarang/topic_rules.hpp"

#include <cstdio>
#include <ctime>

namespace sarang::telemetry {

BatchRows rows_for(const std::vector<RawMessage>& messages,
                   const std::map<std::string, DeviceInfo>& devices) {
    BatchRows out;
    for (const RawMessage& message : messages) {
        auto reject = [&](std::string reason) {
            out.rejected.push_back({message.device_id, message.topic, std::move(reason)});
        };
        auto device = devices.find(message.device_id);
        if (device == devices.end()) {
            reject("unknown device");
            continue;
        }
        const KindSpec* kind = find_kind(device->second.kind);
        if (kind == nullptr) {
            reject("unknown kind " + device->second.kind);
            continue;
        }
        // The access plugin already limits devices to their prefix; checked again so this
        // plugin never trusts a topic it did not verify.
        if (subtopic_under(device->second.topic_prefix, message.topic) != kind->readings_subtopic) {
            reject("not this device's readings topic");
            continue;
        }
        ParsedReading reading = parse_reading(*kind, message.payload);
        if (!reading.ok()) {
            reject(reading.error);
            continue;
        }
        for (Metric& metric : reading.metrics)
            out.rows.push_back(
                {message.device_id, std::move(metric.name), message.received_at, metric.value});
    }
    return out;
}

std::string timestamp_text(std::chrono::system_clock::time_point when) {
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

} // namespace sarang::telemetry
