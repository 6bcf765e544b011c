#include "message_batch.hpp"

#include "sarang/topic_rules.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <tuple>
#include <unordered_map>

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

void summarize(MetricSummary& summary, std::int64_t at_us, double value) {
    if (summary.minutes.empty() || at_us >= summary.latest_us) {
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
    for (const MetricSummary& summary : batch.summaries)
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
        out.rollup_bucket.push_back(timestamp_text(bucket.start_us));
        out.rollup_samples.push_back(std::to_string(bucket.samples));
        out.rollup_total.push_back(number_text(bucket.total));
        out.rollup_low.push_back(number_text(bucket.low));
        out.rollup_high.push_back(number_text(bucket.high));
    }
}

// A reading waiting to be rendered: the batch's readings go out sorted by readings' key, so
// PostgreSQL inserts them into the key's index leaf by leaf instead of all over it (about a
// third less time per COPY on a table with history). Its series (device and metric) is a number
// that orders as the two names would, so sorting compares integers, not strings.
struct PendingReading {
    std::uint64_t series_order; // from SeriesIndex::sort_orders(), just before the sort
    std::uint32_t series;       // index into StagedBatch::summaries
    std::uint32_t at_text;      // index into the batch's rendered times
    std::int64_t at_us;
    double value;
};

// The batch's series: one per device and metric, numbered as they first appear. A device is
// known by its rank in the batch's sorted device map, a metric by its name's number in the
// batch (a kind has a handful of metrics, so a short list to search).
class SeriesIndex {
  public:
    std::uint32_t find_or_add(StagedBatch& out, std::uint32_t device_rank,
                              const std::string& device_id, const std::string& metric) {
        std::uint32_t metric_number = number_of(metric);
        std::uint64_t key = (std::uint64_t{device_rank} << 32) | metric_number;
        auto [entry, added] =
            series_.try_emplace(key, static_cast<std::uint32_t>(out.summaries.size()));
        if (added) {
            out.summaries.push_back(MetricSummary{device_id, metric, 0, 0, {}, {}});
            keys_.push_back(key);
        }
        return entry->second;
    }

    // Each series' place in (device id, metric name) order, by series number.
    std::vector<std::uint64_t> sort_orders() const {
        std::vector<std::uint32_t> by_name(metrics_.size());
        for (std::uint32_t i = 0; i < by_name.size(); ++i)
            by_name[i] = i;
        std::sort(by_name.begin(), by_name.end(),
                  [this](std::uint32_t a, std::uint32_t b) { return metrics_[a] < metrics_[b]; });
        std::vector<std::uint32_t> metric_rank(metrics_.size());
        for (std::uint32_t rank = 0; rank < by_name.size(); ++rank)
            metric_rank[by_name[rank]] = rank;
        std::vector<std::uint64_t> orders;
        orders.reserve(keys_.size());
        for (std::uint64_t key : keys_)
            orders.push_back((key & ~std::uint64_t{0xFFFFFFFF}) | metric_rank[key & 0xFFFFFFFF]);
        return orders;
    }

  private:
    std::uint32_t number_of(const std::string& metric) {
        for (std::uint32_t i = 0; i < metrics_.size(); ++i)
            if (metrics_[i] == metric)
                return i;
        metrics_.push_back(metric);
        return static_cast<std::uint32_t>(metrics_.size() - 1);
    }

    std::vector<std::string> metrics_;
    std::unordered_map<std::uint64_t, std::uint32_t> series_;
    std::vector<std::uint64_t> keys_; // by series number
};

struct Pending {
    std::vector<PendingReading> readings;
    std::vector<TimestampText> times; // one per message
    SeriesIndex series;
};

void render_readings(Pending& pending, StagedBatch& out) {
    std::vector<std::uint64_t> orders = pending.series.sort_orders();
    for (PendingReading& reading : pending.readings)
        reading.series_order = orders[reading.series];
    std::sort(pending.readings.begin(), pending.readings.end(),
              [](const PendingReading& a, const PendingReading& b) {
                  return std::tie(a.series_order, a.at_us) < std::tie(b.series_order, b.at_us);
              });
    std::string& line = out.readings;
    line.reserve(pending.readings.size() * 64);
    for (const PendingReading& reading : pending.readings) {
        const MetricSummary& series = out.summaries[reading.series];
        append_copy_field(line, series.device_id);
        line += '\t';
        line += series.metric;
        line += '\t';
        line += pending.times[reading.at_text].view();
        line += '\t';
        append_number(line, reading.value);
        line += '\n';
    }
    out.reading_rows = pending.readings.size();
}

void stage_message(const RawMessage& message, std::uint32_t device_rank, const DataTopic& topic,
                   Pending& pending, StagedBatch& out) {
    ParsedMessage parsed = parse_data_message(topic, message.payload);
    if (!parsed.ok()) {
        out.rejected.push_back({message.device_id, message.topic,
                                std::string(rejection_reason(parsed)), std::move(parsed.error),
                                rejection_sample(message.payload)});
        return;
    }
    TimePoint when = message_time(message.received_at, parsed.device_time);
    std::int64_t at_us = epoch_micros(when);
    pending.times.emplace_back(at_us);
    auto at_text = static_cast<std::uint32_t>(pending.times.size() - 1);
    for (const Metric& metric : parsed.metrics) {
        std::uint32_t series =
            pending.series.find_or_add(out, device_rank, message.device_id, metric.name);
        summarize(out.summaries[series], at_us, metric.value);
        pending.readings.push_back({0, series, at_text, at_us, metric.value});
    }
    if (topic.shape != Shape::readings) {
        std::string& line = out.messages;
        append_copy_field(line, message.device_id);
        line += '\t';
        line += topic.subtopic;
        line += '\t';
        line += shape_name(topic.shape);
        line += '\t';
        line += pending.times[at_text].view();
        line += '\t';
        append_copy_field(line, parsed.kept_json);
        line += '\t';
        line += !parsed.online ? "\\N" : (*parsed.online ? "t" : "f");
        line += '\n';
        ++out.message_rows;
    }
    ++out.accepted;
}

// The batch's devices by id, each with its rank in id order: a hash look-up per message instead
// of a walk down the map's tree.
struct KnownDevice {
    const DeviceInfo* info;
    std::uint32_t rank;
};

std::unordered_map<std::string_view, KnownDevice>
index_devices(const std::map<std::string, DeviceInfo>& devices) {
    std::unordered_map<std::string_view, KnownDevice> index;
    index.reserve(devices.size());
    std::uint32_t rank = 0;
    for (const auto& [id, info] : devices)
        index.emplace(id, KnownDevice{&info, rank++});
    return index;
}

} // namespace

StagedBatch stage(const std::vector<RawMessage>& messages,
                  const std::map<std::string, DeviceInfo>& devices) {
    StagedBatch out;
    Pending pending;
    pending.times.reserve(messages.size());
    pending.readings.reserve(messages.size() * 2);
    std::unordered_map<std::string_view, KnownDevice> known = index_devices(devices);
    for (const RawMessage& message : messages) {
        auto device = known.find(message.device_id);
        if (device == known.end()) {
            out.rejected.push_back({message.device_id, message.topic, "unknown_device",
                                    "unknown device", rejection_sample(message.payload)});
            continue;
        }
        const DeviceInfo& info = *device->second.info;
        const KindSpec* kind = find_kind(info.kind);
        if (kind == nullptr) {
            out.rejected.push_back({message.device_id, message.topic, "unknown_kind",
                                    "unknown kind " + info.kind,
                                    rejection_sample(message.payload)});
            continue;
        }
        // The access plugin already limits devices to their prefix; checked again so this
        // plugin never stores a topic it did not verify.
        std::string_view subtopic = subtopic_under(info.topic_prefix, message.topic);
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
        stage_message(message, device->second.rank, *topic, pending, out);
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
        out.latest_at.push_back(timestamp_text(summary->latest_us));
        out.latest_value.push_back(number_text(summary->latest_value));
    }
    return out;
}

namespace {

char* put_digits(char* at, std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return at + width;
}

} // namespace

TimestampText::TimestampText(std::int64_t micros) {
    // A TimePoint's range (nanoseconds in 64 bits: 1677 to 2262) is all that reaches here;
    // clamped to it so that the year always has four digits. <chrono>'s calendar rather than
    // gmtime_r and snprintf: no locking of the time zone state and no format parsing, once per
    // message on the writer's path.
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1000;
    using namespace std::chrono;
    sys_time<microseconds> when{microseconds(std::clamp(micros, -limit, limit))};
    sys_days day = floor<days>(when);
    year_month_day date{day};
    hh_mm_ss<microseconds> time{when - day};
    char* at = put_digits(text_, static_cast<std::uint64_t>(int{date.year()}), 4);
    *at++ = '-';
    at = put_digits(at, unsigned{date.month()}, 2);
    *at++ = '-';
    at = put_digits(at, unsigned{date.day()}, 2);
    *at++ = ' ';
    at = put_digits(at, static_cast<std::uint64_t>(time.hours().count()), 2);
    *at++ = ':';
    at = put_digits(at, static_cast<std::uint64_t>(time.minutes().count()), 2);
    *at++ = ':';
    at = put_digits(at, static_cast<std::uint64_t>(time.seconds().count()), 2);
    *at++ = '.';
    at = put_digits(at, static_cast<std::uint64_t>(time.subseconds().count()), 6);
    std::memcpy(at, "+00", 3);
    size_ = static_cast<std::uint8_t>(at + 3 - text_);
}

std::string timestamp_text(std::int64_t micros) {
    return std::string(TimestampText(micros).view());
}

std::string timestamp_text(TimePoint when) {
    return timestamp_text(epoch_micros(when));
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
