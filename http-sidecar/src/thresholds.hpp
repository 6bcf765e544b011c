#pragma once
// The bands that turn a metric's value into normal / warning / critical: a device's own row in
// metric_thresholds, else its kind's defaults (core/device_kinds.cpp). Pure: the handlers read
// and write the rows, this decides what they mean.
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sarang::http {

struct EffectiveThresholds {
    Thresholds bands;
    bool from_device = false; // false: the kind's defaults
};

// Every metric a kind's data topics carry, each once, in table order.
std::vector<const MetricSpec*> kind_metrics(const KindSpec& kind);

// The columns thresholds_at() reads, from metric_thresholds aliased `t`.
constexpr const char* threshold_columns =
    "t.device_id IS NOT NULL, t.normal_low, t.normal_high, t.warning_low, t.warning_high";

// The bands in effect for one metric from threshold_columns at `column`; nullopt when the
// device has no row and its kind does not know the metric (nothing to judge it by).
std::optional<EffectiveThresholds> thresholds_at(const pg::Result& rows, int row, int column,
                                                 const KindSpec* kind, std::string_view metric);

// {"normal": {"low", "high"}, "warning": {...}, "source": "default"|"device"}
json::Ptr thresholds_json(const EffectiveThresholds& thresholds);

// "normal" / "warning" / "critical", or null without thresholds.
json::Ptr level_json(double value, const std::optional<EffectiveThresholds>& thresholds);

// A PUT body {metric: {"normal": {"low", "high"}, "warning": {...}}, ...}: every metric known
// to the kind, numbers or null, low <= high, normal inside warning. 422 naming the field (e.g.
// "ph.normal.low") otherwise.
std::map<std::string, Thresholds> parse_thresholds_body(const json_t* body, const KindSpec& kind);

} // namespace sarang::http
