#include "retention_tables.hpp"

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

std::optional<long> retention_days(const Config& config, const std::string& key) {
    if (key.empty())
        return std::nullopt;
    return config.integer_in(key, 1, 36500);
}

} // namespace sarang::ctl
