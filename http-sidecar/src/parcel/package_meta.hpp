#pragma once
// The `meta` form field of a photo upload (seed 004): {"deviceId", "distanceCm", "reason",
// "firmware"}. Every field is optional; a present one must have the right type and size
// (422 naming it), and a deviceId must be the uploading device's own.
#include <optional>
#include <string>
#include <string_view>

namespace sarang::http {

struct PackageMeta {
    std::optional<std::string> device_id;
    std::optional<double> distance_cm;
    std::string reason = "detect";
    std::optional<std::string> firmware;
};

// Absent or empty text: defaults. Not a JSON object: 400. A bad field: 422 naming it.
PackageMeta parse_package_meta(std::string_view text);

} // namespace sarang::http
