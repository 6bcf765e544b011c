#include "db_checksum.hpp"

#include "stack_env.hpp"

#include <cstdio>

namespace sarang::test {
namespace {

// A text[] literal for the columns a checksum leaves out (names come from the test's own list).
std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? "," : "") + ("\"" + items[i] + "\"");
    return out + "}";
}

} // namespace

TableChecksums table_checksums(const std::vector<ChecksumException>& exceptions) {
    TableChecksums sums;
    // A partitioned table once, as its parent: its rows are the partitions', and the partitions
    // pg_partman makes ahead come and go with the calendar (sql/0022).
    pg::Result tables = db().exec("SELECT c.relname, quote_ident(c.relname) FROM pg_class c"
                                  " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                  " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                                  " AND NOT c.relispartition ORDER BY 1");
    for (int row = 0; row < tables.rows(); ++row) {
        std::string name(tables.text(row, 0));
        std::vector<std::string> dropped;
        bool whole_table_excepted = false;
        for (const ChecksumException& exception : exceptions) {
            if (exception.table != name)
                continue;
            whole_table_excepted = exception.columns.empty();
            dropped = exception.columns;
        }
        if (whole_table_excepted)
            continue;
        // Identifiers cannot be parameters: the name is quoted by quote_ident above.
        std::string sql = "SELECT md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM"
                          " (SELECT (to_jsonb(t) - $1::text[])::text AS r FROM public." +
                          std::string(tables.text(row, 1)) + " t) rows";
        sums[name] = std::string(db().exec(sql, {text_array(dropped)}).text(0, 0));
    }
    return sums;
}

std::vector<std::string> changed_tables(const TableChecksums& before, const TableChecksums& after) {
    std::vector<std::string> changed;
    for (const auto& [table, sum] : after) {
        auto it = before.find(table);
        if (it == before.end() || it->second != sum)
            changed.push_back(table);
    }
    for (const auto& [table, sum] : before) {
        if (!after.contains(table))
            changed.push_back(table);
    }
    return changed;
}

void print_exceptions(const std::vector<ChecksumException>& exceptions) {
    for (const ChecksumException& exception : exceptions) {
        std::string columns;
        for (const std::string& column : exception.columns)
            columns += (columns.empty() ? "" : ",") + column;
        std::printf("checksum leaves out %s%s%s: %s\n", exception.table.c_str(),
                    columns.empty() ? "" : ".", columns.empty() ? "" : columns.c_str(),
                    exception.reason.c_str());
    }
}

} // namespace sarang::test
