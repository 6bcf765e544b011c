#include "retention/partition_jobs.hpp"

#include "sarang/config.hpp"
#include "sarang/log.hpp"

namespace sarang::http {
namespace {

// pg_partman cuts partitions in the session's time zone; sql/0022 made them in UTC.
void in_utc(pg::Transaction& transaction) {
    transaction.exec("SET LOCAL TimeZone = 'UTC'");
}

bool managed(pg::Connection& db, const std::string& parent) {
    // Before sql/0022 (a sidecar started against an older schema) there is nothing to maintain.
    return db.exec("SELECT to_regclass('partman.part_config') IS NOT NULL"
                   " AND to_regclass('public.partition_cutovers') IS NOT NULL")
               .boolean(0, 0) &&
           db.exec("SELECT count(*) FROM partman.part_config WHERE parent_table = $1", {parent})
                   .integer(0, 0) == 1;
}

void maintain(pg::Connection& db, const PartitionedTable& table) {
    if (!managed(db, table.parent))
        return;
    std::string retention = std::to_string(table.retention_days) + " days";
    {
        pg::Transaction transaction(db);
        in_utc(transaction);
        transaction.exec("UPDATE partman.part_config SET retention = $2"
                         " WHERE parent_table = $1 AND retention IS DISTINCT FROM $2",
                         {table.parent, retention});
        // No ANALYZE (new partitions are empty) and no pg_jobmon (not installed).
        transaction.exec("SELECT partman.run_maintenance($1, p_analyze := false,"
                         " p_jobmon := false)",
                         {table.parent});
        transaction.commit();
    }
    // The rows from before partitioning (sql/0022) are all older than the cutover: once that is
    // past retention, the whole default partition goes at once, as a partition would.
    pg::Transaction transaction(db);
    in_utc(transaction);
    // Names quoted by the server (regclass, quote_ident): DDL takes no parameters.
    pg::Result expired = transaction.exec(
        "SELECT default_table::regclass::text,"
        " quote_ident(split_part(parent_table, '.', 2) || '_before_partitions')"
        " FROM partition_cutovers WHERE parent_table = $1 AND cutover <= now() - $2::interval"
        " FOR UPDATE",
        {table.parent, retention});
    if (expired.rows() == 0)
        return;
    std::string default_table(expired.text(0, 0));
    transaction.exec("TRUNCATE " + default_table);
    transaction.exec("ALTER TABLE " + default_table + " DROP CONSTRAINT IF EXISTS " +
                     std::string(expired.text(0, 1)));
    transaction.exec("DELETE FROM partition_cutovers WHERE parent_table = $1", {table.parent});
    transaction.commit();
    LOG_INFO("retention", "%s: emptied %s, the rows from before partitioning being past %s",
             table.parent.c_str(), default_table.c_str(), retention.c_str());
}

struct TableKey {
    std::string_view parent;
    const char* retention_key;
};

constexpr TableKey table_keys[] = {
    {"public.readings", "telemetry.retention_days"},
    {"public.device_events", "telemetry.retention_days"},
    {"public.reading_rollups", "telemetry.rollup_retention_days"},
    {"public.device_presence", "presence.retention_days"},
    {"public.audit_log", "audit.retention_days"},
};

} // namespace

std::vector<PartitionedTable> partitioned_tables(const Config& config) {
    std::vector<PartitionedTable> tables;
    for (const TableKey& table : table_keys)
        tables.push_back({std::string(table.parent), table.retention_key,
                          static_cast<int>(config.integer_in(table.retention_key, 1, 36500))});
    return tables;
}

std::string retention_key_of(std::string_view parent) {
    for (const TableKey& table : table_keys) {
        if (parent == table.parent || parent == table.parent.substr(sizeof "public." - 1))
            return table.retention_key;
    }
    return "";
}

std::vector<RetentionJob> partition_jobs(std::vector<PartitionedTable> tables) {
    std::vector<RetentionJob> jobs;
    for (PartitionedTable& table : tables) {
        std::string name = "partitions of " + table.parent;
        jobs.push_back({std::move(name),
                        [table = std::move(table)](pg::Connection& db) { maintain(db, table); }});
    }
    return jobs;
}

} // namespace sarang::http
