#include "sarang/migrations.hpp"

#include "sarang/crypto.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace sarang::migrations {

std::optional<int> version_of(std::string_view file_name) {
    size_t digits = 0;
    while (digits < file_name.size() && file_name[digits] >= '0' && file_name[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 6 || digits >= file_name.size() || file_name[digits] != '_' ||
        !file_name.ends_with(".sql") || file_name.size() <= digits + 1 + 4)
        return std::nullopt;
    return std::stoi(std::string(file_name.substr(0, digits)));
}

Plan plan(std::vector<File> on_disk, const std::vector<Applied>& applied) {
    Plan result;
    std::sort(on_disk.begin(), on_disk.end(),
              [](const File& a, const File& b) { return a.version < b.version; });
    std::map<int, const File*> by_version;
    for (const File& file : on_disk) {
        auto [existing, inserted] = by_version.emplace(file.version, &file);
        if (!inserted) {
            result.error = "two migrations share version " + std::to_string(file.version) + ": " +
                           existing->second->name + " and " + file.name;
            return result;
        }
    }
    int newest_applied = 0;
    int newest_file = on_disk.empty() ? 0 : on_disk.back().version;
    std::map<int, const Applied*> applied_by_version;
    for (const Applied& done : applied) {
        applied_by_version.emplace(done.version, &done);
        newest_applied = std::max(newest_applied, done.version);
        auto file = by_version.find(done.version);
        // Past every file: a newer release migrated this database and was rolled back. Its
        // migrations only expanded the schema, so this release runs on it. (An empty folder
        // is a wrong folder, not a rollback.)
        if (file == by_version.end() && newest_file > 0 && done.version > newest_file) {
            result.newer.push_back(done.name);
            continue;
        }
        if (file == by_version.end()) {
            result.error = "migration " + done.name +
                           " is applied to the database but missing from the folder";
            return result;
        }
        if (file->second->checksum != done.checksum) {
            result.error = "migration " + done.name +
                           " was edited after it was applied (checksum in database " +
                           done.checksum + ", on disk " + file->second->checksum +
                           "); write a new migration instead";
            return result;
        }
    }
    for (File& file : on_disk) {
        if (applied_by_version.contains(file.version))
            continue;
        if (file.version < newest_applied) {
            result.error = "migration " + file.name + " is older than the newest applied (" +
                           std::to_string(newest_applied) + "); renumber it";
            result.pending.clear();
            return result;
        }
        result.pending.push_back(std::move(file));
    }
    return result;
}

std::vector<File> read_folder(const std::string& folder) {
    std::vector<File> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".sql")
            continue;
        std::string name = entry.path().filename().string();
        std::optional<int> version = version_of(name);
        if (!version)
            throw std::runtime_error("migration file name must look like 0001_name.sql: " + name);
        std::ifstream in(entry.path(), std::ios::binary);
        if (!in)
            throw std::runtime_error("cannot read " + entry.path().string());
        std::stringstream content;
        content << in.rdbuf();
        File file{*version, name, "", content.str()};
        file.checksum = crypto::hex_encode(crypto::sha256(file.content));
        files.push_back(std::move(file));
    }
    return files;
}

namespace {

constexpr std::string_view deadlock_detected = "40P01";

// One file in one transaction. A migration that moves or re-keys a table takes its locks while
// devices publish, and PostgreSQL may pick it as a deadlock's victim (0022 against a presence
// insert, seen in partitions_test): the whole transaction rolled back, so it is simply run again.
void apply(pg::Connection& connection, const File& file) {
    constexpr int attempts = 5;
    for (int attempt = 1;; ++attempt) {
        try {
            pg::Transaction transaction(connection);
            connection.exec_script(file.content);
            transaction.exec(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                {std::to_string(file.version), file.name, file.checksum});
            transaction.commit();
            return;
        } catch (const pg::Error& error) {
            if (error.sqlstate() != deadlock_detected || attempt == attempts)
                throw;
            LOG_WARN("migrate", "%s: %s; running it again (attempt %d of %d)", file.name.c_str(),
                     error.what(), attempt + 1, attempts);
        }
    }
}

} // namespace

RunResult run(pg::Connection& connection, const std::string& folder) {
    std::vector<File> on_disk = read_folder(folder);
    // Session-level lock: released when this connection ends, even on a crash.
    connection.exec("SELECT pg_advisory_lock(hashtext('sarang.migrations'))");
    struct Unlock {
        pg::Connection& connection;
        ~Unlock() {
            try {
                connection.exec("SELECT pg_advisory_unlock(hashtext('sarang.migrations'))");
            } catch (const pg::Error&) {
                // the lock goes with the session anyway
            }
        }
    } unlock{connection};

    connection.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY,"
                    " name text NOT NULL,"
                    " checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())");
    pg::Result rows =
        connection.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    std::vector<Applied> applied;
    for (int row = 0; row < rows.rows(); ++row)
        applied.push_back({static_cast<int>(rows.integer(row, 0)), std::string(rows.text(row, 1)),
                           std::string(rows.text(row, 2))});

    Plan planned = plan(std::move(on_disk), applied);
    if (!planned.error.empty())
        throw std::runtime_error(planned.error);

    RunResult result;
    result.newer = planned.newer;
    for (const File& file : planned.pending) {
        apply(connection, file);
        result.applied.push_back(file.name);
    }
    return result;
}

} // namespace sarang::migrations
