#pragma once
// Package photos on disk, under {storage.dir}/packages: the recompressed photo (JPEG q85, EXIF
// orientation applied) and its 300x300 cover-cropped thumbnail (JPEG q70), made with libvips.
//
// Crash safety (docs/parcel.md): a file is written under a ".tmp-" name, fsynced and renamed,
// so a final name always holds a whole image. Files are made before the package row commits
// and removed after the row is deleted; a crash in between leaves at worst an unreferenced
// file, which sweep() removes once it is older than the grace period.
#include "db_pool.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace sarang::http {

// The upload is not an image libvips can decode, or is too large once decoded (422).
class PhotoRejected : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The storage folder's file system has no room (ENOSPC, EDQUOT): 507, nothing kept.
class StorageFull : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// True for the errno values that mean "no room", which a client may retry later.
bool is_out_of_space(int error_number);

struct StoredPhoto {
    std::string photo; // file names inside the packages folder
    std::string thumb;
};

class PhotoStore {
  public:
    static constexpr int photo_quality = 85;
    static constexpr int thumb_quality = 70;
    static constexpr int thumb_size = 300;
    static constexpr long long max_pixels = 40'000'000; // a 5 MB PNG may decode to gigabytes

    // Creates {dir}/packages and {dir}/spool when missing; throws when it cannot.
    explicit PhotoStore(std::string dir);

    // CPU heavy: call on the slow lane. Throws PhotoRejected, StorageFull or std::runtime_error
    // (other disk errors).
    StoredPhoto store(const std::string& source_path) const;
    // Best effort; a file left behind is the sweep's.
    void remove(const StoredPhoto& photo) const noexcept;

    // Whether a name is one store() makes (the media route serves nothing else).
    static bool valid_name(const std::string& name);
    std::string path_of(const std::string& name) const { return packages_dir_ + "/" + name; }
    const std::string& spool_dir() const { return spool_dir_; }

    // Removes temporary files and photos no package row references (a row whose photo
    // retention removed references none), older than `grace`.
    // Returns the files removed.
    long long sweep(DbPool& pool, std::chrono::seconds grace) const;

  private:
    std::string packages_dir_;
    std::string spool_dir_;
};

// The image work of PhotoStore::store() without its names and durability: decodes
// `source_path` and writes the upright photo (JPEG photo_quality, EXIF orientation applied) to
// `photo_path` and the cover-cropped thumbnail (thumb_size square, JPEG thumb_quality) to
// `thumb_path`. Throws PhotoRejected. bench/photo_pipeline.cpp times this very function.
void render_photo(const std::string& source_path, const std::string& photo_path,
                  const std::string& thumb_path);

// libvips' global set-up for untrusted input; once per process, before any store().
void init_image_library(const char* program);

} // namespace sarang::http
