// sarangctl retention status [--json]: for every table pg_partman keeps in time partitions, its
// partitions (range, estimated rows, size), its total size, its retention and the partition
// that goes next; for every kind kept by row deletes (sql/0023), its rows, the rows due and how
// old the oldest of them is. Read-only. docs/operations.md "Retention".
#include "command.hpp"
#include "retention/partition_jobs.hpp"
#include "retention/row_retention.hpp"
#include "retention_tables.hpp"
#include "sarang/json.hpp"

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace sarang::ctl {
namespace {

std::string iso(const std::string& expression) {
    return "to_char((" + expression + ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    return json::own(rows.is_null(row, column)
                         ? json_null()
                         : json_string(std::string(rows.text(row, column)).c_str()));
}

json::Ptr integer_or_null(const pg::Result& rows, int row, int column) {
    return json::own(rows.is_null(row, column) ? json_null()
                                               : json_integer(rows.integer(row, column)));
}

// A child's range comes from its bound expression (FOR VALUES FROM ('...') TO ('...')). The
// default partition has none, but may hold the rows from before partitioning, all earlier than
// its cutover (partition_cutovers, sql/0022): the retention worker empties it (TRUNCATE) once
// the cutover is older than the retention, as it drops a partition once its upper bound is. Both
// happen at the first maintenance run after that bound plus the retention ($2; NULL: never).
std::string partitions_sql(bool with_cutovers) {
    const std::string cutover = with_cutovers ? "(SELECT pc.cutover FROM partition_cutovers pc"
                                                " WHERE to_regclass(pc.default_table) = c.oid)"
                                              : "NULL::timestamptz";
    return "WITH kids AS ("
           "  SELECT c.relname AS name, c.reltuples, pg_total_relation_size(c.oid) AS bytes,"
           "         pg_get_expr(c.relpartbound, c.oid) AS bound, " +
           cutover +
           " AS cutover"
           "  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
           "  WHERE i.inhparent = $1::regclass),"
           " ranged AS ("
           "  SELECT name, reltuples, bytes, bound = 'DEFAULT' AS is_default,"
           "         substring(bound FROM $r$FROM \\('([^']+)'\\)$r$)::timestamptz AS lo,"
           "         coalesce(substring(bound FROM $r$TO \\('([^']+)'\\)$r$)::timestamptz,"
           "                  cutover) AS hi"
           "  FROM kids)"
           " SELECT name, " +
           iso("lo") + ", " + iso("hi") +
           ", CASE WHEN reltuples < 0 THEN NULL ELSE reltuples::bigint END, bytes, " +
           iso("hi + $2::interval") +
           ", hi + $2::interval <= now(), is_default"
           " FROM ranged ORDER BY hi NULLS LAST, name";
}

json::Ptr partitioned_table(pg::Connection& db, const Config& config, const ManagedParent& parent) {
    std::string key = http::retention_key_of(parent.parent);
    std::optional<long> days = retention_days(config, key);
    // pg_partman drops by its own setting, but every round of the retention worker first
    // writes sarang.conf's value there: the next drop follows sarang.conf. The two differ only
    // until that round (sarang.conf just edited), so both are shown.
    std::optional<std::string> in_force = parent.partman_retention;
    if (days)
        in_force = std::to_string(*days) + " days";
    bool with_cutovers =
        db.exec("SELECT to_regclass('partition_cutovers') IS NOT NULL").text(0, 0) == "t";
    pg::Result rows = db.exec(partitions_sql(with_cutovers), {parent.parent, in_force});

    json::Ptr table = json::own(json_object());
    json::set(table.get(), "table", json::string(parent.parent));
    json::set(table.get(), "control", json::string(parent.control));
    json::set(table.get(), "partition_interval", json::string(parent.interval));
    json::set(table.get(), "setting", key.empty() ? json::own(json_null()) : json::string(key));
    json::set(table.get(), "retention_days", json::own(days ? json_integer(*days) : json_null()));
    json::set(table.get(), "partman_retention",
              parent.partman_retention ? json::string(*parent.partman_retention)
                                       : json::own(json_null()));
    json::Ptr partitions = json::own(json_array());
    long long total = 0;
    json::Ptr next = json::own(json_null());
    for (int row = 0; row < rows.rows(); ++row) {
        json::Ptr partition = json::own(json_object());
        json::set(partition.get(), "name", json::string(rows.text(row, 0)));
        bool is_default = rows.boolean(row, 7);
        json::set(partition.get(), "default", json::own(json_boolean(is_default)));
        json::set(partition.get(), "from", text_or_null(rows, row, 1));
        // The default partition's "to": its cutover, while it holds rows from before it.
        json::set(partition.get(), "to", text_or_null(rows, row, 2));
        json::set(partition.get(), "rows_estimate", integer_or_null(rows, row, 3));
        json::set(partition.get(), "bytes", json::own(json_integer(rows.integer(row, 4))));
        total += rows.integer(row, 4);
        // Rows come oldest bound first: the first with a bound goes next. A default partition
        // is emptied, never dropped (landing falls back to it).
        if (json_is_null(next.get()) && !rows.is_null(row, 2)) {
            next = json::own(json_object());
            json::set(next.get(), "partition", json::string(rows.text(row, 0)));
            json::set(next.get(), "action", json::string(is_default ? "truncate" : "drop"));
            json::set(next.get(), "dropped_after", text_or_null(rows, row, 5));
            json::set(next.get(), "due",
                      json::own(json_boolean(!rows.is_null(row, 6) && rows.boolean(row, 6))));
        }
        json::append(partitions.get(), std::move(partition));
    }
    json::set(table.get(), "partitions", std::move(partitions));
    json::set(table.get(), "total_bytes", json::own(json_integer(total)));
    json::set(table.get(), "next_drop", std::move(next));
    return table;
}

// One row: rows, due, oldest due, its age in seconds, held (old enough but not settled), when
// the next kept row becomes due, bytes. $1 = days kept.
struct RowKind {
    const char* kind;
    const char* setting;
    long days;
    std::vector<const char*> tables;
    std::string sql;
};

std::string row_kind_sql(const std::string& from, const std::string& at, const std::string& due,
                         const std::string& held, const std::string& bytes) {
    const std::string cutoff = "now() - $1::integer * interval '1 day'";
    return "SELECT count(*), count(*) FILTER (WHERE " + due + "), " +
           iso("min(" + at + ") FILTER (WHERE " + due + ")") + ", extract(epoch FROM now() - min(" +
           at + ") FILTER (WHERE " + due + "))::bigint, count(*) FILTER (WHERE " + held + "), " +
           iso("min(" + at + ") FILTER (WHERE " + at + " >= " + cutoff +
               ") + $1::integer * interval '1 day'") +
           ", " + bytes + " FROM " + from;
}

std::vector<RowKind> row_kinds(const retention::RowRetention& settings) {
    const std::string old = " < now() - $1::integer * interval '1 day'";
    const std::string settled_notification =
        "NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = n.id"
        " AND d.state IN ('pending', 'sending'))";
    return {
        {"notifications",
         "notifications.retention_days",
         settings.notification_days,
         {"notifications", "notification_deliveries"},
         row_kind_sql("notifications n", "n.created_at",
                      "n.created_at" + old + " AND " + settled_notification,
                      "n.created_at" + old + " AND NOT " + settled_notification,
                      "pg_total_relation_size('notifications')"
                      " + pg_total_relation_size('notification_deliveries')")},
        {"commands",
         "commands.retention_days",
         settings.command_days,
         {"commands"},
         row_kind_sql("commands", "finished_at", "finished_at" + old,
                      "finished_at IS NULL AND created_at" + old,
                      "pg_total_relation_size('commands')")},
        // Rows whose photo is still kept; bytes are the files' (added from the disk below).
        {"package_photos",
         "parcel.photo_retention_days",
         settings.photo_days,
         {"packages"},
         row_kind_sql("packages WHERE photo_removed_at IS NULL", "received_at", "received_at" + old,
                      "false", "0")},
    };
}

long long folder_bytes(const std::string& dir) {
    long long total = 0;
    std::error_code error;
    for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error)) {
        std::error_code size_error;
        if (it->is_regular_file(size_error))
            total += static_cast<long long>(it->file_size(size_error));
    }
    return total;
}

json::Ptr row_kind(pg::Connection& db, const RowKind& kind, const std::string& packages_dir) {
    pg::Result rows = db.exec(kind.sql, {std::to_string(kind.days)});
    json::Ptr out = json::own(json_object());
    json::set(out.get(), "kind", json::string(kind.kind));
    json::Ptr tables = json::own(json_array());
    for (const char* table : kind.tables)
        json::append(tables.get(), json::string(table));
    json::set(out.get(), "tables", std::move(tables));
    json::set(out.get(), "setting", json::string(kind.setting));
    json::set(out.get(), "retention_days", json::own(json_integer(kind.days)));
    json::set(out.get(), "rows", json::own(json_integer(rows.integer(0, 0))));
    json::set(out.get(), "due_rows", json::own(json_integer(rows.integer(0, 1))));
    json::set(out.get(), "oldest_due", text_or_null(rows, 0, 2));
    json::set(out.get(), "oldest_due_age_seconds", integer_or_null(rows, 0, 3));
    json::set(out.get(), "held_rows", json::own(json_integer(rows.integer(0, 4))));
    json::set(out.get(), "next_due_at", text_or_null(rows, 0, 5));
    long long bytes = rows.integer(0, 6);
    if (std::string_view(kind.kind) == "package_photos")
        bytes = folder_bytes(packages_dir);
    json::set(out.get(), "bytes", json::own(json_integer(bytes)));
    return out;
}

std::string human_bytes(long long bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

const char* text_of(const json_t* object, const char* key, const char* fallback = "-") {
    const json_t* value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : fallback;
}

long long integer_of(const json_t* object, const char* key) {
    return json_integer_value(json_object_get(object, key));
}

void print_text(const json_t* status) {
    const json_t* tables = json_object_get(status, "partitioned");
    if (json_array_size(tables) == 0)
        std::printf("partitioned tables: none registered with pg_partman (partman.part_config)\n");
    for (std::size_t i = 0; i < json_array_size(tables); ++i) {
        const json_t* table = json_array_get(tables, i);
        const json_t* days = json_object_get(table, "retention_days");
        std::printf("%s  (by %s, %s partitions)\n", text_of(table, "table"),
                    text_of(table, "control"), text_of(table, "partition_interval"));
        if (json_is_integer(days))
            std::printf("  retention: %lld days (%s); pg_partman: %s\n",
                        static_cast<long long>(json_integer_value(days)), text_of(table, "setting"),
                        text_of(table, "partman_retention", "none"));
        else
            std::printf("  retention: pg_partman: %s\n",
                        text_of(table, "partman_retention", "none (kept forever)"));
        const json_t* partitions = json_object_get(table, "partitions");
        std::printf("  %zu partitions, %s\n", json_array_size(partitions),
                    human_bytes(integer_of(table, "total_bytes")).c_str());
        for (std::size_t p = 0; p < json_array_size(partitions); ++p) {
            const json_t* partition = json_array_get(partitions, p);
            const json_t* rows = json_object_get(partition, "rows_estimate");
            std::string estimate =
                json_is_integer(rows) ? std::to_string(json_integer_value(rows)) : "?";
            bool is_default = json_is_true(json_object_get(partition, "default"));
            std::printf("    %-40s %-20s .. %-20s ~%s rows  %s\n", text_of(partition, "name"),
                        is_default ? "(default)" : text_of(partition, "from"),
                        text_of(partition, "to", ""), estimate.c_str(),
                        human_bytes(integer_of(partition, "bytes")).c_str());
        }
        const json_t* next = json_object_get(table, "next_drop");
        if (!json_is_object(next))
            std::printf("  next to go: nothing (no ranged partition)\n");
        else {
            bool truncated = std::string_view(text_of(next, "action")) == "truncate";
            const char* verb = truncated ? "emptied" : "dropped";
            if (json_is_true(json_object_get(next, "due")))
                std::printf("  next to go: %s, due now (%s at the next maintenance run)\n",
                            text_of(next, "partition"), verb);
            else
                std::printf("  next to go: %s, %s after %s\n", text_of(next, "partition"), verb,
                            text_of(next, "dropped_after", "never (no retention)"));
        }
    }
    const json_t* kinds = json_object_get(status, "row_deleted");
    for (std::size_t i = 0; i < json_array_size(kinds); ++i) {
        const json_t* kind = json_array_get(kinds, i);
        std::printf("%s  (row deletes, %lld days, %s)\n", text_of(kind, "kind"),
                    integer_of(kind, "retention_days"), text_of(kind, "setting"));
        std::printf("  %lld rows, %s; %lld due", integer_of(kind, "rows"),
                    human_bytes(integer_of(kind, "bytes")).c_str(), integer_of(kind, "due_rows"));
        if (integer_of(kind, "due_rows") > 0)
            std::printf(" (oldest %s, %lld days old)", text_of(kind, "oldest_due"),
                        integer_of(kind, "oldest_due_age_seconds") / 86400);
        if (integer_of(kind, "held_rows") > 0)
            std::printf("; %lld older but not settled, kept", integer_of(kind, "held_rows"));
        std::printf("\n  next due: %s\n", text_of(kind, "next_due_at", "nothing kept yet"));
    }
}

} // namespace

int retention_status(const Config& config, const Args& args) {
    retention::RowRetention settings = retention::RowRetention::from(config);
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    json::Ptr status = json::own(json_object());
    json::Ptr partitioned = json::own(json_array());
    for (const ManagedParent& parent : managed_parents(db))
        json::append(partitioned.get(), partitioned_table(db, config, parent));
    json::set(status.get(), "partitioned", std::move(partitioned));
    json::Ptr row_deleted = json::own(json_array());
    for (const RowKind& kind : row_kinds(settings))
        json::append(row_deleted.get(), row_kind(db, kind, settings.packages_dir));
    json::set(status.get(), "row_deleted", std::move(row_deleted));
    if (args.flag("json"))
        std::printf("%s\n", json::dump(status.get()).c_str());
    else
        print_text(status.get());
    return 0;
}

} // namespace sarang::ctl
