// sarangctl backup DIR [--with-secrets] (docs/backup.md): the database (pg_dump custom format),
// the package photos and a manifest with every file's SHA-256; with --with-secrets also
// sarang.conf. Everything is written into DIR.partial and renamed to DIR at the end, so DIR
// either does not exist or holds a whole backup.
//
// Order: the dump first, then the photos. A photo file is made before its package row commits
// and removed after the row is deleted (photo_store.hpp), so every row in the dump has its
// photos in the copy, except a package deleted between the two steps; photos newer than the
// dump are unreferenced after a restore and the storage sweep removes them.
#include "backup_files.hpp"
#include "backup_manifest.hpp"
#include "command.hpp"
#include "pg_tools.hpp"
#include "sarang/log.hpp"
#include "utc_text.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SARANG_VERSION
#error "SARANG_VERSION comes from CMake's project VERSION"
#endif

namespace sarang::ctl {
namespace {

constexpr const char* secrets_readme =
    "WARNING: this folder holds Sarang's secrets.\n\n"
    "sarang.conf here has auth.pepper (every device credential hash depends on it), the\n"
    "database password in db.dsn and any other key set in it (payment gateway, WhatsApp\n"
    "gateway). Whoever reads it can forge nothing by itself, but with the database dump beside\n"
    "it can attack device credentials offline and sign payment notifications.\n\n"
    "Store this backup like the server's private keys: encrypted, access-controlled, never in\n"
    "a shared folder or a ticket. `sarangctl restore DIR --with-secrets` installs it.\n";

std::string without_trailing_slashes(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    return path;
}

// DIR may not exist yet, or be an empty folder (e.g. a mount point made for backups).
void check_target(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code error;
    fs::file_status status = fs::symlink_status(dir, error);
    if (status.type() == fs::file_type::not_found)
        return;
    if (status.type() != fs::file_type::directory)
        throw UsageError(dir + " exists and is not a folder");
    if (!fs::is_empty(dir, error) || error)
        throw UsageError(dir + " is not empty; back up into a new or empty folder");
}

// Removes DIR.partial on every way out but success.
class PartialFolder {
  public:
    explicit PartialFolder(std::string path) : path_(std::move(path)) {
        std::error_code error;
        if (std::filesystem::exists(path_, error))
            throw UsageError(path_ +
                             " exists: an earlier backup was interrupted; check and remove it");
        make_dir(path_, 0700);
    }
    ~PartialFolder() {
        if (!kept_) {
            std::error_code error;
            std::filesystem::remove_all(path_, error);
        }
    }
    PartialFolder(const PartialFolder&) = delete;
    PartialFolder& operator=(const PartialFolder&) = delete;
    const std::string& path() const { return path_; }
    void keep() { kept_ = true; }

  private:
    std::string path_;
    bool kept_ = false;
};

void read_schema_level(pg::Connection& db, Manifest& manifest) {
    pg::Result level = db.exec("SELECT version, name FROM schema_migrations"
                               " ORDER BY version DESC LIMIT 1");
    if (level.rows() == 0)
        throw std::runtime_error("the database has no migrations applied; nothing to back up");
    manifest.schema_version = static_cast<int>(level.integer(0, 0));
    manifest.schema_migration = std::string(level.text(0, 1));
}

void dump_database(const Config& config, const std::string& folder) {
    const std::string dsn = config.string("db.dsn");
    int status =
        run_pg_tool("pg_dump",
                    {"--format=custom", "--no-password", "--file=" + folder + "/" + dump_name,
                     // Which broker nodes are up is not data: nodes add themselves.
                     "--exclude-table-data=access_nodes", database_argument(dsn)},
                    dsn);
    if (status != 0)
        throw std::runtime_error("pg_dump failed (exit status " + std::to_string(status) +
                                 "; its message is above)");
}

std::vector<std::string> copy_photos(const Config& config, const std::string& folder) {
    const std::string source = photos_dir_of(config.string("storage.dir"));
    const std::string target = folder + "/" + photos_folder;
    make_dir(target, 0700);
    std::vector<std::string> copied;
    for (const std::string& name : photo_names(source)) {
        try {
            copy_file_synced(source + "/" + name, target + "/" + name, 0600);
        } catch (const std::runtime_error&) {
            // Deleted with its package since it was listed: nothing in the dump refers to it.
            if (::access((source + "/" + name).c_str(), F_OK) != 0 && errno == ENOENT) {
                ::unlink((target + "/" + name).c_str());
                continue;
            }
            throw;
        }
        copied.push_back(std::string(photos_folder) + "/" + name);
    }
    fsync_dir(target);
    return copied;
}

void copy_secrets(const std::string& config_path, const std::string& folder) {
    const std::string target = folder + "/" + secrets_folder;
    make_dir(target, 0700);
    copy_file_synced(config_path, folder + "/" + secrets_config_name, 0600);
    write_file_synced(target + "/README", secrets_readme, 0600);
    fsync_dir(target);
}

} // namespace

int backup(const Config& config, const Args& args) {
    if (args.positional.size() != 1)
        throw UsageError("give the backup folder once");
    const std::string dir = without_trailing_slashes(args.positional.front());
    const bool with_secrets = args.flag("with-secrets");
    check_target(dir);
    // Before anything is written: a DSN pg_dump cannot take fails here, not half way.
    pg::libpq_environment(config.string("db.dsn"));

    Manifest manifest;
    manifest.sarang_version = SARANG_VERSION;
    manifest.created_at = utc_text(std::chrono::system_clock::now());
    manifest.secrets_included = with_secrets;
    manifest.pepper_check = pepper_check(config.string("auth.pepper"));
    {
        pg::Connection db(config.string("db.dsn"), "sarangctl");
        read_schema_level(db, manifest);
    }

    PartialFolder partial(dir + ".partial");
    dump_database(config, partial.path());
    std::vector<std::string> paths{dump_name};
    std::vector<std::string> photos = copy_photos(config, partial.path());
    paths.insert(paths.end(), photos.begin(), photos.end());
    if (with_secrets) {
        for (const char* key : {"auth.pepper", "db.dsn"})
            if (std::getenv(Config::env_name(key).c_str()) != nullptr)
                std::fprintf(stderr,
                             "sarangctl: warning: %s is set and overrides %s in the file; the "
                             "backup holds the file as it is\n",
                             Config::env_name(key).c_str(), key);
        copy_secrets(args.config_path, partial.path());
        paths.push_back(secrets_config_name);
        paths.push_back(std::string(secrets_folder) + "/README");
    }
    long long total = 0;
    for (const std::string& path : paths) {
        manifest.files.push_back(describe_file(partial.path(), path));
        total += manifest.files.back().bytes;
    }
    write_file_synced(partial.path() + "/" + manifest_name, manifest_json(manifest), 0600);
    fsync_dir(partial.path());

    // rename(2) replaces an empty folder; a non-empty one (filled meanwhile) makes it fail.
    if (::rename(partial.path().c_str(), dir.c_str()) != 0)
        throw std::runtime_error("cannot rename " + partial.path() + " to " + dir + ": " +
                                 std::strerror(errno));
    partial.keep();
    std::string parent = std::filesystem::path(dir).parent_path().string();
    fsync_dir(parent.empty() ? "." : parent);

    LOG_INFO("audit", "sarangctl | backup | %s%s", dir.c_str(),
             with_secrets ? " (with secrets)" : "");
    std::printf("backup in %s: database at schema %d (%s), %zu photo files, %lld bytes%s\n",
                dir.c_str(), manifest.schema_version, manifest.schema_migration.c_str(),
                photos.size(), total,
                with_secrets ? "; secrets/ holds sarang.conf with its secrets: keep it safe"
                             : "; secrets not included: restore needs this server's auth.pepper");
    return 0;
}

} // namespace sarang::ctl
