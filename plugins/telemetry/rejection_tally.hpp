#pragma once
// Refused messages counted per (device, reason) for device_rejections (sql/0018): one row per key
// with the count and the latest detail and sample. The writer tallies each batch's rejections;
// what the broker thread refuses itself (oversized payloads, a full journal) goes through core's
// RejectionOutbox (sarang/rejection_outbox.hpp), like every other plugin's refusals.
#include "message_batch.hpp"
#include "sarang/rejection_outbox.hpp"

#include <vector>

namespace sarang::telemetry {

// One row per (device, reason), in key order; unknown devices are left out (no row to count
// against: they are logged and in stats.prom).
std::vector<RejectionRow> tally(const std::vector<Rejection>& rejected);

} // namespace sarang::telemetry
