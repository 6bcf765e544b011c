#include "seed_shapes.hpp"

#include <algorithm>

namespace sarang::http {
namespace {

int rank(std::string_view level) {
    if (level == "normal")
        return 0;
    if (level == "warning")
        return 1;
    return level == "critical" ? 2 : -1;
}

} // namespace

const DataTopic* readings_topic(const KindSpec* kind) {
    if (kind != nullptr) {
        for (const DataTopic& topic : kind->data) {
            if (topic.shape == Shape::readings)
                return &topic;
        }
    }
    return nullptr;
}

std::vector<std::string> reading_metric_names(const KindSpec* kind) {
    std::vector<std::string> names;
    if (const DataTopic* topic = readings_topic(kind)) {
        for (const MetricSpec& spec : topic->metrics)
            names.emplace_back(spec.name);
    }
    return names;
}

json::Ptr seed_status(const json_t* levels, const KindSpec* kind) {
    int worst = -1;
    for (const std::string& metric : reading_metric_names(kind)) {
        const char* level = json_string_value(json_object_get(levels, metric.c_str()));
        if (level != nullptr)
            worst = std::max(worst, rank(level));
    }
    static constexpr const char* names[] = {"normal", "warning", "critical"};
    return json::own(worst < 0 ? json_null() : json_string(names[worst]));
}

void add_seed_values(json_t* row, const json_t* values) {
    const char* metric = nullptr;
    json_t* value = nullptr;
    json_object_foreach(const_cast<json_t*>(values), metric, value) {
        json_object_set(row, (std::string(metric) + "_value").c_str(), value);
    }
}

} // namespace sarang::http
