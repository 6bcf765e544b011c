#include "row_retention.hpp"

namespace sarang::retention {

RowRetention RowRetention::from(const Config& config) {
    constexpr long max_days = 36500;
    RowRetention settings;
    settings.notification_days = config.integer_in("notifications.retention_days", 1, max_days);
    settings.command_days = config.integer_in("commands.retention_days", 1, max_days);
    settings.photo_days = config.integer_in("parcel.photo_retention_days", 1, max_days);
    settings.packages_dir = config.string("storage.dir") + "/packages";
    return settings;
}

} // namespace sarang::retention
