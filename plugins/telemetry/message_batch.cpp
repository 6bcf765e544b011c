#include "message_batch.hpp"

#include "sarang/topic_rules.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <tuple>

namespace sarang::telemetry {
namespace {

const char* shape_name(Shape shape) {
    return shape == Shape::status ? "status" : "event";
}

std::int64_t epoch_micros(TimePoint when) {
    return std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
}

std::int64_t floor_to(std::int64_t micros, std::int64_t width) {
    std::int64_t start = micros / width * width;
    return start > micros ? start - width : start;
}

// Buckets of a batch are few and mostly the newest one, so a search from the back.
void add_to_bucket(std::vector<RollupBucket>& buckets, std::int64_t start, double value) {
    auto bucket = std::find_if(buckets.rbegin(), buckets.rend(),
                               [start](const RollupBucket& b) { return b.start_us == start; });
    if (bucket == buckets.rend()) {
        buckets.push_back({start, 1, value, value, value});
        return;
    }
    ++bucket->samples;
    bucket->total += value;
    bucket->low = std::min(bucket->low, value);
    bucket->high = std::max(bucket->high, value);
}

void summarize(StagedBatch& out, const std::string& device_id, const std::string& metric,
               std::int64_t at_us, double value) {
    std::string key = device_id;
    key += '\t';
    key += metric;
    auto [entry, added] = out.summaries.try_emplace(std::move(key));
    MetricSummary& summary = entry->second;
    if (added) {
        summary.device_id = device_id;
        summary.metric = metric;
        summary.latest_us = at_us;
        summary.latest_value = value;
    } else if (at_us >= summary.latest_us) {
        summary.latest_us = at_us;
        summary.latest_value = value;
    }
    add_to_bucket(summary.minutes, floor_to(at_us, 60'000'000), value);
    add_to_bucket(summary.hours, floor_to(at_us, 3'600'000'000), value);
}

// The shortest text that reads back as the same double: PostgreSQL's own output form, and
// cheaper to write here and to parse there than 17 digits.
void append_number(std::string& line, double value) {
    char text[32];
    auto [end, error] = std::to_chars(text, text + sizeof text, value);
    line.append(text, error == std::errc() ? end : text);
}

std::vector<const MetricSummary*> sorted_summaries(const StagedBatch& batch) {
    std::vector<const MetricSummary*> out;
    out.reserve(batch.summaries.size());
    for (const auto& [key, summary] : batch.summaries)
        out.push_back(&summary);
    std::sort(out.begin(), out.end(), [](const MetricSummary* a, const MetricSummary* b) {
        return std::tie(a->device_id, a->metric) < std::tie(b->device_id, b->metric);
    });
    return out;
}

std::string number_text(double value) {
    std::string out;
    append_number(out, value);
    return out;
}

void add_buckets(SummaryColumns& out, const MetricSummary& summary, const char* seconds,
                 const std::vector<RollupBucket>& buckets) {
    for (const RollupBucket& bucket : buckets) {
        out.rollup_device.push_back(summary.device_id);
        out.rollup_metric.push_back(summary.metric);
        out.rollup_seconds.push_back(seconds);
        out.rollup_bucket.push_back(
            timestamp_text(TimePoint(std::chrono::microseconds(bucket.start_us))));
        out.rollup_samples.push_back(std::to_string(bucket.samples));
        out.rollup_total.push_back(number_text(bucket.total));
        out.rollup_low.push_back(number_text(bucket.low));
        out.rollup_high.push_back(number_text(bucket.high));
    }
}

// A reading waiting to be rendered: the batch's readings go out sorted by readings' key, so
// PostgreSQL inserts them into the key's index leaf by leaf instead of all over it (about a
// third less time per COPY on a table with history).
struct PendingReading {
    const std::string* device_id; // the message's, alive until stage() returns
    std::string metric;
    std::int64_t at_us;
    std::size_t at_text; // index into the batch's rendered times
    double value;
};

struct Pending {
    std::vector<PendingReading> readings;
    std::vector<std::string> times; // one per message
};

void render_readings(Pending& pending, StagedBatch& out) {
    std::sort(pending.readings.begin(), pending.readings.end(),
              [](const PendingReading& a, const PendingReading& b) {
                  return std::tie(*a.device_id, a.metric, a.at_us) <
                         std::tie(*b.device_id, b.metric, b.at_us);
              });
    std::string& line = out.readings;
    for (const PendingReading& reading : pending.readings) {
        append_copy_field(line, *reading.device_id);
        line += '\t';
        line += reading.metric;
        line += '\t';
        line += pending.times[reading.at_text];
        line += '\t';
        append_number(line, reading.value);
        line += '\n';
    }
    out.reading_rows = pending.readings.size();
}

void stage_message(const RawMessage& message, const DataTopic& topic, Pending& pending,
                   StagedBatch& out) {
    ParsedMessage parsed = parse_data_message(topic, message.payload);
    if (!parsed.ok()) {
        out.rejected.push_back({message.device_id, message.topic,
                                std::string(rejection_reason(parsed)), std::move(parsed.error),
                                rejection_sample(message.payload)});
        return;
    }
    TimePoint when = message_time(message.received_at, parsed.device_time);
    pending.times.push_back(timestamp_text(when));
    const std::string& at = pending.times.back();
    std::int64_t at_us = epoch_micros(when);
    for (const Metric& metric : parsed.metrics) {
        summarize(out, message.device_id, metric.name, at_us, metric.value);
        pending.readings.push_back(
            {&message.device_id, metric.name, at_us, pending.times.size() - 1, metric.value});
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
    Pending pending;
    pending.times.reserve(messages.size());
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
        stage_message(message, *topic, pending, out);
    }
    render_readings(pending, out);
    return out;
}

SummaryColumns summary_columns(const StagedBatch& batch) {
    SummaryColumns out;
    for (const MetricSummary* summary : sorted_summaries(batch)) {
        add_buckets(out, *summary, "60", summary->minutes);
        add_buckets(out, *summary, "3600", summary->hours);
        out.latest_device.push_back(summary->device_id);
        out.latest_metric.push_back(summary->metric);
        out.latest_at.push_back(
            timestamp_text(TimePoint(std::chrono::microseconds(summary->latest_us))));
        out.latest_value.push_back(number_text(summary->latest_value));
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
