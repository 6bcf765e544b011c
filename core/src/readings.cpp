#include "sarang/readings.hpp"

#include "sarang/json.hpp"

#include <cmath>
#include <cstdio>

namespace sarang {

ParsedReading parse_reading(const KindSpec& kind, std::string_view payload) {
    ParsedReading out;
    std::string parse_error;
    json::Ptr root = json::parse(payload, parse_error);
    if (!root) {
        out.error = "not JSON: " + parse_error;
        return out;
    }
    if (!json_is_object(root.get())) {
        out.error = "expected a JSON object";
        return out;
    }
    std::vector<Metric> metrics;
    for (const MetricSpec& spec : kind.metrics) {
        std::string name(spec.name);
        json_t* field = json_object_get(root.get(), name.c_str());
        if (field == nullptr || json_is_null(field))
            continue;
        if (!json_is_number(field)) {
            out.error = name + " must be a number";
            return out;
        }
        double value = json_number_value(field);
        if (!std::isfinite(value) || value < spec.min || value > spec.max) {
            char range[96];
            std::snprintf(range, sizeof range, " out of range [%g, %g]", spec.min, spec.max);
            out.error = name + range;
            return out;
        }
        metrics.push_back({std::move(name), value});
    }
    if (metrics.empty()) {
        out.error = "no known metric in payload";
        return out;
    }
    out.metrics = std::move(metrics);
    return out;
}

} // namespace sarang
