// Every kind's data payloads (readings, events, status) as devices publish them: the first byte
// picks one of all the kinds' data topics, the rest is the payload.
#include "fuzz_support.hpp"
#include "sarang/data_message.hpp"

#include <cmath>
#include <cstring>
#include <vector>

namespace {

std::vector<const sarang::DataTopic*> every_data_topic() {
    std::vector<const sarang::DataTopic*> topics;
    for (const sarang::KindSpec& kind : sarang::all_kinds())
        for (const sarang::DataTopic& topic : kind.data)
            topics.push_back(&topic);
    return topics;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<const sarang::DataTopic*> topics = every_data_topic();
    FuzzedDataProvider input(data, size);
    const sarang::DataTopic& topic = *topics[input.ConsumeIntegral<uint8_t>() % topics.size()];
    std::string payload = input.ConsumeRemainingBytesAsString();
    sarang::ParsedMessage parsed = sarang::parse_data_message(topic, payload);
    // The flat fast path reads exactly what jansson's tree reads, or leaves the payload to it.
    sarang::ParsedMessage reference = sarang::parse_data_message_tree(topic, payload);
    FUZZ_CHECK(parsed.error == reference.error);
    FUZZ_CHECK(parsed.field == reference.field);
    FUZZ_CHECK(parsed.device_time == reference.device_time);
    FUZZ_CHECK(parsed.online == reference.online);
    FUZZ_CHECK(parsed.kept_json == reference.kept_json);
    FUZZ_CHECK(parsed.metrics.size() == reference.metrics.size());
    for (std::size_t i = 0; i < parsed.metrics.size(); ++i) {
        FUZZ_CHECK(parsed.metrics[i].name == reference.metrics[i].name);
        FUZZ_CHECK(std::memcmp(&parsed.metrics[i].value, &reference.metrics[i].value,
                               sizeof(double)) == 0);
    }
    if (!parsed.ok())
        return 0;
    // Accepted: whole, finite, in range, and one metric at least for readings.
    if (topic.shape == sarang::Shape::readings)
        FUZZ_CHECK(!parsed.metrics.empty());
    for (const sarang::Metric& metric : parsed.metrics) {
        FUZZ_CHECK(std::isfinite(metric.value));
        const sarang::MetricSpec* spec = nullptr;
        for (const sarang::MetricSpec& candidate : topic.metrics)
            if (candidate.name == metric.name)
                spec = &candidate;
        FUZZ_CHECK(spec != nullptr);
        FUZZ_CHECK(metric.value >= spec->min && metric.value <= spec->max);
    }
    auto now = std::chrono::system_clock::now();
    sarang::message_time(now, parsed.device_time);
    return 0;
}
