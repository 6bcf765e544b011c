#pragma once
// Schema migrations: sql/NNNN_name.sql files applied in version order, each in its own
// transaction, recorded in schema_migrations with the SHA-256 of the file. An applied file that
// was edited or removed, or a new file older than the newest applied one, stops the run before
// anything changes. Applied migrations newer than every file are a newer release's schema (a
// rollback to this release, docs/upgrading.md): reported, not refused, since migrations are
// expand-only.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::pg {
class Connection;
}

namespace sarang::migrations {

struct File {
    int version = 0;
    std::string name;     // the file name, e.g. "0001_init.sql"
    std::string checksum; // SHA-256 hex of the content
    std::string content;
};

struct Applied {
    int version = 0;
    std::string name;
    std::string checksum;
};

// "0001_init.sql" -> 1. nullopt for names that are not <digits>_<name>.sql.
std::optional<int> version_of(std::string_view file_name);

struct Plan {
    std::vector<File> pending;      // in version order
    std::vector<std::string> newer; // applied, newer than every file: a newer release's schema
    std::string error;              // non-empty: refuse to run
};

// Pure: decides what to apply, or why nothing may be applied.
Plan plan(std::vector<File> on_disk, const std::vector<Applied>& applied);

// Reads every *.sql file of the folder; throws std::runtime_error for unreadable files and
// names that do not follow the pattern.
std::vector<File> read_folder(const std::string& folder);

struct RunResult {
    std::vector<std::string> applied; // file names applied by this run
    std::vector<std::string> newer;   // Plan::newer
};

// Takes an advisory lock so two migrators never interleave, plans, applies. Throws
// std::runtime_error with the plan's error, or pg::Error from a failing migration (whose
// transaction is rolled back; earlier migrations of the run stay applied).
RunResult run(pg::Connection& connection, const std::string& folder);

} // namespace sarang::migrations
