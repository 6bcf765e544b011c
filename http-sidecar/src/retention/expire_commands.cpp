// Commands settled (acked, failed, expired) longer ago than commands.retention_days.
#include "batches.hpp"
#include "row_retention.hpp"

namespace sarang::retention {

long long expire_commands(pg::Connection& db, const RowRetention& settings) {
    return delete_in_batches(db,
                             "SELECT retention_delete_commands($1::integer * interval '1 day', $2)",
                             settings.command_days);
}

} // namespace sarang::retention
