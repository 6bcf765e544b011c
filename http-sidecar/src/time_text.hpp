#pragma once
// Timestamps as clients see them: ISO 8601 in UTC with milliseconds, as the seeds' APIs write
// them ("2025-11-13T10:00:00.000Z").
#include <chrono>
#include <string>

namespace sarang::http {

std::string iso8601(std::chrono::system_clock::time_point at);

// The same text made by PostgreSQL from a timestamptz expression, for SELECT lists.
std::string iso8601_sql(const std::string& expression);

// Readings keep the device's own sub-millisecond time, so their timestamps have microseconds
// ("2025-11-13T10:00:00.123456Z"): two readings a few hundred microseconds apart stay distinct.
std::string iso8601_micro(std::chrono::system_clock::time_point at);
std::string iso8601_micro_sql(const std::string& expression);

// A time as a query parameter without losing microseconds to text formats: pass
// epoch_micros(at) and write timestamptz_param("$3") in the SQL.
std::string epoch_micros(std::chrono::system_clock::time_point at);
std::string timestamptz_param(const std::string& placeholder);

} // namespace sarang::http
