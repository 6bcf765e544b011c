#pragma once
// Retention of the data that is not partitioned (docs/operations.md "Retention"): settled
// notifications with their deliveries, settled commands, and package photos on disk. Each job
// runs batches of sql/0023's functions, one transaction per batch, until a batch comes back
// short, and returns how many rows (photos: packages) it handled. They take a plain connection
// so that the sidecar's retention worker and `sarangctl retention run` share them; a failed
// batch throws pg::Error and leaves the earlier batches done.
#include "sarang/config.hpp"
#include "sarang/pg.hpp"

#include <string>

namespace sarang::retention {

// Rows per transaction: small enough that no batch holds its locks for long.
inline constexpr int batch_rows = 5000;

struct RowRetention {
    long notification_days = 90; // notifications.retention_days
    long command_days = 90;      // commands.retention_days
    long photo_days = 365;       // parcel.photo_retention_days
    std::string packages_dir;    // {storage.dir}/packages (parcel/photo_store.hpp)

    // Throws ConfigError when a setting is outside 1-36500 days.
    static RowRetention from(const Config& config);
};

// Batches until one comes back short; the rows deleted.
long long expire_notifications(pg::Connection& db, const RowRetention& settings);
long long expire_commands(pg::Connection& db, const RowRetention& settings);
// Marks the photos removed (packages.photo_removed_at), then unlinks both files of each. A file
// that cannot be removed is logged and left to the storage sweep.
long long expire_package_photos(pg::Connection& db, const RowRetention& settings);

} // namespace sarang::retention
