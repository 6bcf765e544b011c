#pragma once
// File steps of backup and restore: every file written whole and fsynced before it counts, so a
// crash or a full disk never leaves a file that looks complete.
#include <string>
#include <vector>

namespace sarang::ctl {

// The folder of package photos inside storage.dir (http-sidecar/src/parcel/photo_store.hpp).
std::string photos_dir_of(const std::string& storage_dir);

// Regular files of `dir` that are finished photos (no temporary ".tmp-" or hidden names), sorted;
// empty when the folder does not exist.
std::vector<std::string> photo_names(const std::string& dir);

// Copies `from` to `to` (which must not exist) with `mode`, fsynced. Throws std::runtime_error.
void copy_file_synced(const std::string& from, const std::string& to, unsigned mode);
// Writes `text` to `to` (which must not exist) with `mode`, fsynced.
void write_file_synced(const std::string& to, const std::string& text, unsigned mode);
// Copies `from` over `to` through a temporary name in `to`'s folder and a rename, so `to` is
// always either the old file or the whole new one; mode and owner from `like` (a path that
// exists: the folder or the file being replaced).
void replace_file_synced(const std::string& from, const std::string& to, const std::string& like);
void fsync_dir(const std::string& dir);
// mkdir with `mode`; throws when it exists or cannot be made.
void make_dir(const std::string& dir, unsigned mode);

} // namespace sarang::ctl
