#include "retention_tables.hpp"

#include <string_view>
#include <utility>

namespace sarang::ctl {

std::vector<ManagedParent> managed_parents(pg::Connection& db) {
    std::vector<ManagedParent> parents;
    if (db.exec("SELECT to_regclass('partman.part_config') IS NOT NULL").text(0, 0) != "t")
        return parents;
    pg::Result rows = db.exec("SELECT parent_table, control, partition_interval, retention"
                              " FROM partman.part_config ORDER BY parent_table");
    for (int row = 0; row < rows.rows(); ++row) {
        ManagedParent parent{std::string(rows.text(row, 0)), std::string(rows.text(row, 1)),
                             std::string(rows.text(row, 2)), std::nullopt};
        if (!rows.is_null(row, 3))
            parent.partman_retention = std::string(rows.text(row, 3));
        parents.push_back(std::move(parent));
    }
    return parents;
}

std::string retention_key_for(const std::string& parent) {
    std::string_view table = parent;
    if (std::size_t dot = table.rfind('.'); dot != std::string_view::npos)
        table.remove_prefix(dot + 1);
    static const std::pair<std::string_view, const char*> keys[] = {
        {"readings", "telemetry.retention_days"},
        {"device_events", "telemetry.retention_days"},
        {"reading_rollups", "telemetry.rollup_retention_days"},
        {"device_presence", "presence.retention_days"},
        {"audit_log", "audit.retention_days"},
    };
    for (const auto& [name, key] : keys) {
        if (table == name)
            return key;
    }
    return "";
}

std::optional<long> retention_days(const Config& config, const std::string& key) {
    if (key.empty())
        return std::nullopt;
    return config.integer_in(key, 1, 36500);
}

} // namespace sarang::ctl
