#pragma once
// Timestamps as clients see them: ISO 8601 in UTC with milliseconds, as the seeds' APIs write
// them ("2025-11-13T10:00:00.000Z").
#include <chrono>
#include <string>

namespace sarang::http {

std::string iso8601(std::chrono::system_clock::time_point at);

// The same text made by PostgreSQL from a timestamptz expression, for SELECT lists.
std::string iso8601_sql(const std::string& expression);

} // namespace sarang::http
