#pragma once
// Device data Sarang refused, as its owner and operators see it (issue #18 item 4): the rows of
// device_rejections (sql/0018) written by the telemetry writer and by the HTTP ingest.
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <string>

namespace sarang::http {

// {"count", "last_reason", "last_detail", "last_sample", "last_source", "last_at",
//  "by_reason": {reason: count}}; count 0 and nulls when nothing was refused.
json::Ptr rejections_object(pg::Connection& db, const std::string& device_id);

// Counts one refused HTTP ingest of `device_id` (sample: the body's first bytes).
void record_rejection(pg::Connection& db, const std::string& device_id, const std::string& reason,
                      const std::string& detail, std::string_view body);

// sarang_device_data_rejected_total{reason=...}: every device's refused messages by reason.
std::string render_rejection_metrics(pg::Connection& db);

} // namespace sarang::http
