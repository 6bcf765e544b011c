#pragma once
// Seed 003's answer shapes (the Raspberry Pi pH/TDS dashboard, shared/seeds/003): a
// SensorReading row {timestamp, tds_value, ph_value, status} and a RaspberryPi row {name,
// location, status, last_online, last_reading}. Sarang answers them beside its own fields
// (docs/seed-compatibility.md); these helpers add the seed's fields to a row Sarang built.
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sarang::http {

// Seed 003's device kind: its rows default to the seed's shapes.
constexpr std::string_view seed_reading_kind = "hydro-sensor";

// The topic whose messages are readings (one seed SensorReading each); nullptr if none.
const DataTopic* readings_topic(const KindSpec* kind);

// The metric names of that topic; empty without one.
std::vector<std::string> reading_metric_names(const KindSpec* kind);

// The seed's automatic status: the worst level ("normal" < "warning" < "critical") among
// `levels` ({metric: level or null}) of the reading metrics of `kind`; null when none is known.
json::Ptr seed_status(const json_t* levels, const KindSpec* kind);

// "<metric>_value" for each {metric: number} of `values` (seed 003: tds_value, ph_value).
void add_seed_values(json_t* row, const json_t* values);

} // namespace sarang::http
