#pragma once
// Retention jobs for the tables sql/0022 partitioned with pg_partman: each keeps its table's
// part_config.retention equal to sarang.conf, then runs partman.run_maintenance() for it (new
// partitions ahead, DROP of partitions past retention), then empties the default partition of
// rows from before partitioning once all of them are past retention.
#include "retention/retention_worker.hpp"

#include <string>
#include <vector>

namespace sarang {
class Config;
}

namespace sarang::http {

struct PartitionedTable {
    std::string parent; // "public.readings"
    int retention_days;
};

// The five tables with their retention from sarang.conf (telemetry.retention_days, ...).
std::vector<PartitionedTable> partitioned_tables(const Config& config);

std::vector<RetentionJob> partition_jobs(std::vector<PartitionedTable> tables);

} // namespace sarang::http
