// sarangctl restore DIR [--force] [--with-secrets] (docs/backup.md). Nothing is changed until
// the whole folder matches its manifest and every refusal below has been checked; the database
// is restored in one transaction (pg_restore --single-transaction), so a failing restore leaves
// it as it was. Then the photos, then (only when asked) sarang.conf, then the running services
// are made to reload (restore_refresh.hpp).
#include "backup_files.hpp"
#include "backup_manifest.hpp"
#include "command.hpp"
#include "pg_tools.hpp"
#include "restore_refresh.hpp"
#include "sarang/files.hpp"
#include "sarang/log.hpp"
#include "sarang/migrations.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sarang::ctl {
namespace {

Manifest verified_manifest(const std::string& dir) {
    const std::string path = dir + "/" + manifest_name;
    if (::access(path.c_str(), F_OK) != 0)
        throw UsageError(dir + " is not a Sarang backup (no " + manifest_name + ")");
    Manifest manifest = parse_manifest(read_file(path));
    std::vector<std::string> problems = verify_backup(dir, manifest);
    for (const std::string& problem : problems)
        std::fprintf(stderr, "sarangctl: %s/%s\n", dir.c_str(), problem.c_str());
    if (!problems.empty())
        throw std::runtime_error("the backup in " + dir +
                                 " is damaged or incomplete; nothing was restored");
    return manifest;
}

// What to do with sarang.conf, decided before anything changes. Empty: leave it alone.
std::string config_to_install(const Config& config, const Args& args, const std::string& dir,
                              const Manifest& manifest) {
    const bool force = args.flag("force");
    const std::string current_pepper = config.string("auth.pepper");
    if (!args.flag("with-secrets")) {
        if (pepper_check(current_pepper) == manifest.pepper_check)
            return {};
        if (!force)
            throw UsageError(
                "this server's auth.pepper is not the backed-up server's: restored devices could "
                "not sign in. Restore with --with-secrets (when the backup has them) or set the "
                "old pepper in sarang.conf; --force restores anyway");
        std::fprintf(stderr, "sarangctl: warning: auth.pepper differs from the backup's; "
                             "restored device credentials will not work (--force)\n");
        return {};
    }
    if (!manifest.secrets_included)
        throw UsageError("this backup holds no secrets (made without --with-secrets)");
    const std::string backup_config = dir + "/" + secrets_config_name;
    std::string text = read_file(backup_config);
    Config restored = Config::parse(text, backup_config, nullptr);
    if (text == read_file(args.config_path))
        return {};
    if (restored.string("auth.pepper") != current_pepper && !force)
        throw UsageError("the backup's auth.pepper differs from the one in " + args.config_path +
                         "; --force replaces it (the current file is kept as " + args.config_path +
                         ".before-restore)");
    return backup_config;
}

// A private folder for pg_restore's list and script, removed however the restore ends.
class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sarang-restore.XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot make a temporary folder: " +
                                     std::string(std::strerror(errno)));
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string file(const char* name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// What pg_restore --clean would do, for a database with partitioned tables and pg_partman
// (sql/0022): --clean drops each partition's key on its own, which PostgreSQL refuses for a key
// the partition inherits, and would drop the extension, which only a superuser may. Instead all
// of Sarang's schema goes at once, with pg_partman's configuration of it; the extension, which a
// superuser installed (sql/superuser/pg_partman.sql), stays.
constexpr const char* clean_sql = R"(DROP SCHEMA public CASCADE;
CREATE SCHEMA public;
ALTER SCHEMA public OWNER TO pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
DO $$
DECLARE
    template record;
BEGIN
    IF to_regclass('partman.part_config') IS NULL THEN
        RETURN;
    END IF;
    DELETE FROM partman.part_config_sub;
    DELETE FROM partman.part_config;
    FOR template IN SELECT c.oid::regclass AS name FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'partman' AND c.relkind = 'r'
                      AND c.relname LIKE 'template\_%' AND pg_has_role(c.relowner, 'USAGE') LOOP
        EXECUTE format('DROP TABLE %s', template.name);
    END LOOP;
END;
$$;
)";

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path);
}

// The dump's table of contents without the extension and its schema, which the database has.
void drop_extension_entries(const std::string& list_path) {
    std::istringstream in(read_file(list_path));
    std::string kept, line;
    while (std::getline(in, line))
        if (line.find(" SCHEMA - partman ") == std::string::npos &&
            line.find(" EXTENSION - pg_partman") == std::string::npos &&
            line.find(" COMMENT - EXTENSION pg_partman") == std::string::npos)
            kept += line + "\n";
    write_text(list_path, kept);
}

void restore_database(const Config& config, const std::string& dir) {
    const std::string dsn = config.string("db.dsn");
    const std::string dump = dir + "/" + dump_name;
    ScratchDir scratch;
    const std::string list = scratch.file("toc.list"), script = scratch.file("restore.sql"),
                      clean = scratch.file("clean.sql");
    auto check = [](int status, const char* what) {
        if (status != 0)
            throw std::runtime_error(std::string(what) + " failed (exit status " +
                                     std::to_string(status) +
                                     "; its message is above); nothing was restored and the "
                                     "database is as it was");
    };
    check(run_pg_tool("pg_restore", {"--list", "--file=" + list, dump}, dsn), "pg_restore --list");
    drop_extension_entries(list);
    // Objects belong to the role Sarang connects as (db.dsn).
    check(run_pg_tool(
              "pg_restore",
              {"--use-list=" + list, "--no-owner", "--no-privileges", "--file=" + script, dump},
              dsn),
          "pg_restore");
    write_text(clean, clean_sql);
    // One transaction: a failing restore leaves the database as it was.
    check(run_pg_tool("psql",
                      {"--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                       "--no-password", "--file=" + clean, "--file=" + script,
                       "--dbname=" + database_argument(dsn)},
                      dsn),
          "restoring the database (psql)");
}

std::size_t restore_photos(const Config& config, const std::string& dir, const Manifest& manifest) {
    const std::string storage = config.string("storage.dir");
    const std::string target = photos_dir_of(storage);
    std::error_code error;
    if (!std::filesystem::exists(target, error)) {
        std::filesystem::create_directories(storage);
        make_dir(target, 0750);
        struct stat owner {};
        if (::geteuid() == 0 && ::stat(storage.c_str(), &owner) == 0 &&
            ::chown(target.c_str(), owner.st_uid, owner.st_gid) != 0)
            throw std::runtime_error("cannot set the owner of " + target);
    }
    std::size_t count = 0;
    const std::string prefix = std::string(photos_folder) + "/";
    for (const ManifestFile& file : manifest.files) {
        if (!file.path.starts_with(prefix))
            continue;
        replace_file_synced(dir + "/" + file.path, target + "/" + file.path.substr(prefix.size()),
                            target);
        ++count;
    }
    fsync_dir(target);
    return count;
}

void install_config(const std::string& from, const std::string& config_path) {
    const std::string kept = config_path + ".before-restore";
    ::unlink(kept.c_str());
    copy_file_synced(config_path, kept, 0600);
    replace_file_synced(from, config_path, config_path);
    std::printf("installed the backup's sarang.conf as %s (the previous one is %s); restart "
                "mosquitto and sarang-httpd so they read it\n",
                config_path.c_str(), kept.c_str());
}

} // namespace

int restore(const Config& config, const Args& args) {
    if (args.positional.size() != 1)
        throw UsageError("give the backup folder once");
    std::string dir = args.positional.front();
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    Manifest manifest = verified_manifest(dir);
    std::string new_config = config_to_install(config, args, dir, manifest);

    pg::Connection db(config.string("db.dsn"), "sarangctl");
    BeforeRestore before = read_before_restore(db);
    if (before.schema_version > manifest.schema_version)
        throw UsageError("the database is at schema " + std::to_string(before.schema_version) +
                         ", newer than the backup's " + std::to_string(manifest.schema_version) +
                         ": restore into an empty database (docs/backup.md), then run "
                         "sarangctl migrate");
    if (before.devices > 0 && !args.flag("force"))
        throw UsageError(
            "the database holds " + std::to_string(before.devices) +
            " device(s); restore replaces all its data with the backup's: add --force");

    restore_database(config, dir);
    std::size_t photos = restore_photos(config, dir, manifest);
    if (!new_config.empty())
        install_config(new_config, args.config_path);
    bool reloaded = refresh_after_restore(db, before);

    LOG_INFO("audit", "sarangctl | restore | %s", dir.c_str());
    std::printf("restored %s: database at schema %d (%s) from %s, %zu photo files\n", dir.c_str(),
                manifest.schema_version, manifest.schema_migration.c_str(),
                manifest.created_at.c_str(), photos);
    try {
        for (const migrations::File& file :
             migrations::read_folder(config.string("db.migrations_dir")))
            if (file.version > manifest.schema_version) {
                std::printf("this Sarang has newer migrations: run `sarangctl migrate`\n");
                break;
            }
    } catch (const std::exception&) {
        // Only advice; `sarangctl migrate` reports a missing folder itself.
    }
    return reloaded ? 0 : brokers_lag_status;
}

} // namespace sarang::ctl
