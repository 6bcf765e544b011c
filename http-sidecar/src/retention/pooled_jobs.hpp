#pragma once
// The row-retention jobs (row_retention.hpp) on a pooled connection, as the sidecar's retention
// worker runs them: one lease for the whole job, so its batches run back to back.
#include "db_pool.hpp"
#include "retention/row_retention.hpp"

namespace sarang::http {

long long expire_notifications(DbPool& pool, const retention::RowRetention& settings);
long long expire_commands(DbPool& pool, const retention::RowRetention& settings);
long long expire_package_photos(DbPool& pool, const retention::RowRetention& settings);

} // namespace sarang::http
