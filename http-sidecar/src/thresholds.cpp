#include "thresholds.hpp"

#include "http_error.hpp"

#include <cmath>

namespace sarang::http {
namespace {

std::optional<double> number_or_null(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return std::nullopt;
    return rows.number(row, column);
}

json::Ptr band_json(const Band& band) {
    json::Ptr object = json::own(json_object());
    json::set(object.get(), "low", json::own(band.low ? json_real(*band.low) : json_null()));
    json::set(object.get(), "high", json::own(band.high ? json_real(*band.high) : json_null()));
    return object;
}

std::optional<double> bound(const json_t* band, const char* side, const std::string& field) {
    const json_t* value = json_object_get(band, side);
    if (value == nullptr || json_is_null(value))
        return std::nullopt;
    if (!json_is_number(value) || !std::isfinite(json_number_value(value)))
        fail_validation(field + "." + side, "must be a number or null");
    return json_number_value(value);
}

Band band(const json_t* thresholds, const char* name, const std::string& field) {
    std::string here = field + "." + name;
    const json_t* object = json_object_get(thresholds, name);
    if (object == nullptr || !json_is_object(object))
        fail_validation(here, "must be an object {\"low\": number|null, \"high\": number|null}");
    Band parsed{bound(object, "low", here), bound(object, "high", here)};
    if (parsed.low && parsed.high && *parsed.low > *parsed.high)
        fail_validation(here, "low must not be above high");
    return parsed;
}

} // namespace

std::vector<const MetricSpec*> kind_metrics(const KindSpec& kind) {
    std::vector<const MetricSpec*> metrics;
    for (const DataTopic& topic : kind.data) {
        for (const MetricSpec& spec : topic.metrics) {
            bool seen = false;
            for (const MetricSpec* known : metrics)
                seen = seen || known->name == spec.name;
            if (!seen)
                metrics.push_back(&spec);
        }
    }
    return metrics;
}

std::optional<EffectiveThresholds> thresholds_at(const pg::Result& rows, int row, int column,
                                                 const KindSpec* kind, std::string_view metric) {
    if (!rows.is_null(row, column) && rows.boolean(row, column)) {
        return EffectiveThresholds{
            {{number_or_null(rows, row, column + 1), number_or_null(rows, row, column + 2)},
             {number_or_null(rows, row, column + 3), number_or_null(rows, row, column + 4)}},
            true};
    }
    const MetricSpec* spec = kind ? kind->metric(metric) : nullptr;
    if (spec == nullptr)
        return std::nullopt;
    return EffectiveThresholds{spec->defaults, false};
}

json::Ptr thresholds_json(const EffectiveThresholds& thresholds) {
    json::Ptr object = json::own(json_object());
    json::set(object.get(), "normal", band_json(thresholds.bands.normal));
    json::set(object.get(), "warning", band_json(thresholds.bands.warning));
    json::set(object.get(), "source",
              json::own(json_string(thresholds.from_device ? "device" : "default")));
    return object;
}

json::Ptr level_json(double value, const std::optional<EffectiveThresholds>& thresholds) {
    if (!thresholds)
        return json::own(json_null());
    std::string_view name = level_name(classify(value, thresholds->bands));
    return json::own(json_stringn(name.data(), name.size()));
}

std::map<std::string, Thresholds> parse_thresholds_body(const json_t* body, const KindSpec& kind) {
    if (json_object_size(body) == 0)
        fail_validation("body", "must name at least one metric");
    std::map<std::string, Thresholds> parsed;
    const char* metric = nullptr;
    json_t* value = nullptr;
    json_object_foreach(const_cast<json_t*>(body), metric, value) {
        std::string field = metric;
        if (kind.metric(field) == nullptr)
            fail_validation(field, "is not a metric of kind " + std::string(kind.name));
        if (!json_is_object(value))
            fail_validation(field, "must be an object with \"normal\" and \"warning\" bands");
        Thresholds thresholds{band(value, "normal", field), band(value, "warning", field)};
        // Normal must lie inside warning: an open normal side needs an open warning side.
        const Band& normal = thresholds.normal;
        const Band& warning = thresholds.warning;
        if (warning.low && (!normal.low || *normal.low < *warning.low))
            fail_validation(field + ".normal.low", "must be at or above warning.low");
        if (warning.high && (!normal.high || *normal.high > *warning.high))
            fail_validation(field + ".normal.high", "must be at or below warning.high");
        parsed.emplace(field, thresholds);
    }
    return parsed;
}

} // namespace sarang::http
