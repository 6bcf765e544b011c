#pragma once
// The row-retention jobs (row_retention.hpp) as jobs of the retention worker's rounds
// (retention_worker.hpp), after the partition jobs: notifications, commands, package photos.
#include "retention/retention_worker.hpp"
#include "retention/row_retention.hpp"

#include <functional>
#include <vector>

namespace sarang::http {

// What a job did: its name and the rows (photos: packages) it handled. The default logs
// every non-zero count.
using RowJobReport = std::function<void(const std::string& name, long long done)>;

std::vector<RetentionJob> row_retention_jobs(const retention::RowRetention& settings,
                                             RowJobReport report = {});

} // namespace sarang::http
