#pragma once
// manifest.json of a backup folder (docs/backup.md): what made it, at which schema level, and
// every file with its size and SHA-256, so restore can prove the folder whole before it
// touches anything.
#include <string>
#include <vector>

namespace sarang::ctl {

inline constexpr const char* manifest_name = "manifest.json";
inline constexpr const char* backup_format = "sarang-backup/1";
inline constexpr const char* dump_name = "database.dump";
inline constexpr const char* photos_folder = "photos";
inline constexpr const char* secrets_folder = "secrets";
inline constexpr const char* secrets_config_name = "secrets/sarang.conf";

struct ManifestFile {
    std::string path; // relative to the backup folder, '/'-separated
    std::string sha256;
    long long bytes = 0;
};

struct Manifest {
    std::string sarang_version;
    int schema_version = 0;       // highest applied sql/ migration
    std::string schema_migration; // its file name
    std::string created_at;       // UTC, RFC 3339
    bool secrets_included = false;
    // Says whether a server's auth.pepper is the one of the backed-up server, without the
    // pepper: device credential hashes only verify with the same pepper.
    std::string pepper_check;
    std::vector<ManifestFile> files;
};

std::string pepper_check(const std::string& pepper);

ManifestFile describe_file(const std::string& root, const std::string& path);
std::string manifest_json(const Manifest& manifest);
// Throws std::runtime_error for anything but a manifest of backup_format with safe paths.
Manifest parse_manifest(const std::string& text);

// Problems that make the folder unsafe to restore: a listed file missing or different, or a
// file present that the manifest does not list. Empty when the folder is exactly the backup.
std::vector<std::string> verify_backup(const std::string& root, const Manifest& manifest);

} // namespace sarang::ctl
