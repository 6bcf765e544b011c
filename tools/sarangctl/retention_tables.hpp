#pragma once
// What `sarangctl retention status|run` manage (docs/operations.md "Retention"): the tables
// pg_partman keeps in time partitions (registered in partman.part_config by sql/0022), and the
// kinds kept by batched row deletes (sql/0023, http-sidecar/src/retention/).
#include "sarang/config.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sarang::ctl {

// A parent registered with pg_partman, as part_config has it.
struct ManagedParent {
    std::string parent;                           // schema-qualified: public.readings
    std::string control;                          // the partition key column
    std::string interval;                         // the partition width, as pg_partman prints it
    std::optional<std::string> partman_retention; // part_config.retention; none: kept forever
};

// Empty when pg_partman is not installed in the database (schema partman) or has no parents.
std::vector<ManagedParent> managed_parents(pg::Connection& db);

// The key's value in days; nullopt for no key.
std::optional<long> retention_days(const Config& config, const std::string& key);

} // namespace sarang::ctl
