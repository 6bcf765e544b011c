#pragma once
// Validation of a reading payload, e.g. {"tds":512.3,"ph":6.8}, against its kind's metrics.
// A message is taken whole or not at all: one bad metric rejects it, so no partial write.
#include "sarang/device_kinds.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sarang {

struct Metric {
    std::string name;
    double value;
};

struct ParsedReading {
    std::vector<Metric> metrics; // empty when rejected
    std::string error;           // why it was rejected; empty when accepted
    bool ok() const { return error.empty(); }
};

// Accepts a JSON object holding at least one of the kind's metrics, each a finite number in
// range. Fields the kind does not know are ignored, so newer firmware can add fields.
ParsedReading parse_reading(const KindSpec& kind, std::string_view payload);

} // namespace sarang
