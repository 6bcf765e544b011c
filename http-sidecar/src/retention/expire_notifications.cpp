// Settled notifications older than notifications.retention_days, with their deliveries.
#include "batches.hpp"
#include "row_retention.hpp"

namespace sarang::retention {

long long expire_notifications(pg::Connection& db, const RowRetention& settings) {
    return delete_in_batches(
        db, "SELECT retention_delete_notifications($1::integer * interval '1 day', $2)",
        settings.notification_days);
}

} // namespace sarang::retention
