#include "photo_store.hpp"

#include "sarang/crypto.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <string_view>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>
#include <vips/vips8>

namespace sarang::http {
namespace {

using vips::VImage;

constexpr const char* temp_prefix = ".tmp-";

// A disk error as the exception its cause calls for.
[[noreturn]] void throw_disk_error(const std::string& what, int error_number) {
    std::string message = what + ": " + std::strerror(error_number);
    if (is_out_of_space(error_number))
        throw StorageFull(message);
    throw std::runtime_error(message);
}

// libvips reports a failed write as text, the errno folded in. A save that failed on a file
// system that is (nearly) out of room failed for that reason, whatever the text says.
bool out_of_room(const std::string& dir, const char* message) {
    if (std::strstr(message, std::strerror(ENOSPC)) || std::strstr(message, std::strerror(EDQUOT)))
        return true;
    struct statvfs room {};
    constexpr unsigned long long margin = 1024 * 1024;
    return ::statvfs(dir.c_str(), &room) == 0 &&
           (static_cast<unsigned long long>(room.f_bavail) * room.f_frsize < margin ||
            room.f_favail == 0);
}

void make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

void fsync_path(const std::string& path, int flags) {
    Fd file{::open(path.c_str(), flags | O_CLOEXEC)};
    if (file.fd < 0 || ::fsync(file.fd) != 0)
        throw_disk_error("cannot sync " + path, errno);
}

// The temporary file a final name is written under; removed unless committed.
class TempFile {
  public:
    TempFile(const std::string& dir, const std::string& name)
        : temp_(dir + "/" + temp_prefix + name), final_(dir + "/" + name) {}
    ~TempFile() {
        if (!committed_)
            ::unlink(temp_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return temp_; }
    void commit() {
        fsync_path(temp_, O_RDONLY);
        if (::rename(temp_.c_str(), final_.c_str()) != 0)
            throw_disk_error("cannot rename " + temp_, errno);
        committed_ = true;
    }

  private:
    std::string temp_, final_;
    bool committed_ = false;
};

std::string fresh_stem() {
    long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    std::vector<std::uint8_t> random = crypto::random_bytes(8);
    return "package_" + std::to_string(ms) + "_" + crypto::hex_encode(random.data(), random.size());
}

// A thumb_size square cut from the middle of `image` scaled to cover it, as vips_thumbnail with
// crop=centre makes it, but from pixels already decoded: thumbnailing the file again would
// decode it twice (for a JPEG shrink-on-load saves the inverse DCT, not the entropy decoding
// that dominates a detailed photo), and vips_thumbnail_image() or vips_resize() with its
// default gap reduce with long lanczos3 kernels (several times the cost of the whole photo at
// 4x). gap=1 shrinks by the integer part with a box filter and reduces only the rest.
VImage cover_thumbnail(VImage image) {
    const int size = PhotoStore::thumb_size;
    double scale = std::max(static_cast<double>(size) / image.width(),
                            static_cast<double>(size) / image.height());
    // Never a pixel short of the square after rounding.
    int width = std::max(size, static_cast<int>(std::lround(image.width() * scale)));
    int height = std::max(size, static_cast<int>(std::lround(image.height() * scale)));
    bool alpha = image.has_alpha();
    VipsBandFormat format = image.format();
    if (alpha) // as vips_thumbnail does: no dark fringes where transparent meets opaque
        image = image.premultiply();
    image = image.resize(static_cast<double>(width) / image.width(),
                         VImage::option()
                             ->set("vscale", static_cast<double>(height) / image.height())
                             ->set("gap", 1.0));
    if (alpha)
        image = image.unpremultiply().cast(format);
    return image.extract_area((image.width() - size) / 2, (image.height() - size) / 2, size, size);
}

} // namespace

bool is_out_of_space(int error_number) {
    return error_number == ENOSPC || error_number == EDQUOT;
}

void init_image_library(const char* program) {
    if (VIPS_INIT(program) != 0)
        throw std::runtime_error("libvips failed to start");
    // Only the loaders Sarang needs to trust; uploads are sniffed as JPEG or PNG before this.
    vips_block_untrusted_set(TRUE);
    // Spool paths are reused names: a cached decode of an earlier upload must never answer.
    vips_cache_set_max(0);
}

PhotoStore::PhotoStore(std::string dir)
    : packages_dir_(dir + "/packages"), spool_dir_(dir + "/spool") {
    make_dir(dir);
    make_dir(packages_dir_);
    make_dir(spool_dir_);
}

void render_photo(const std::string& source_path, const std::string& photo_path,
                  const std::string& thumb_path) {
    try {
        VImage image = VImage::new_from_file(source_path.c_str());
        if (static_cast<long long>(image.width()) * image.height() > PhotoStore::max_pixels)
            throw PhotoRejected("photo is larger than " +
                                std::to_string(PhotoStore::max_pixels / 1000000) + " megapixels");
        // autorot turns the pixels upright and drops the orientation tag, so every viewer
        // shows the photo the same way. The photo is decoded once: random access (the default)
        // keeps the decoded pixels for the thumbnail, and a turned photo is kept turned rather
        // than turned again for it (the decode is then freed: a moment at twice the memory).
        bool turned = image.get_typeof(VIPS_META_ORIENTATION) != 0 &&
                      image.get_int(VIPS_META_ORIENTATION) > 1;
        VImage upright = turned ? image.autorot().copy_memory() : image.autorot();
        image = VImage();
        upright.jpegsave(photo_path.c_str(),
                         VImage::option()->set("Q", PhotoStore::photo_quality)->set("strip", true));
        cover_thumbnail(upright).jpegsave(
            thumb_path.c_str(),
            VImage::option()->set("Q", PhotoStore::thumb_quality)->set("strip", true));
    } catch (const vips::VError& error) {
        std::string dir = std::filesystem::path(photo_path).parent_path();
        if (out_of_room(dir, error.what()))
            throw StorageFull("no room to write the photo: " + std::string(error.what()));
        throw PhotoRejected(std::string("photo cannot be decoded: ") + error.what());
    }
}

StoredPhoto PhotoStore::store(const std::string& source_path) const {
    std::string stem = fresh_stem();
    StoredPhoto names{stem + ".jpg", stem + "_thumb.jpg"};
    TempFile photo(packages_dir_, names.photo);
    TempFile thumb(packages_dir_, names.thumb);
    render_photo(source_path, photo.path(), thumb.path());
    photo.commit();
    try {
        thumb.commit();
        fsync_path(packages_dir_, O_RDONLY | O_DIRECTORY);
    } catch (...) {
        ::unlink(path_of(names.photo).c_str());
        throw;
    }
    return names;
}

void PhotoStore::remove(const StoredPhoto& photo) const noexcept {
    for (const std::string* name : {&photo.photo, &photo.thumb}) {
        if (::unlink(path_of(*name).c_str()) != 0 && errno != ENOENT)
            LOG_WARN("httpd", "cannot remove %s (the storage sweep will): %s", name->c_str(),
                     std::strerror(errno));
    }
}

// package_<1-16 digits>_<16 lower-case hex digits>[_thumb].jpg: names this store made, so a
// path from a request can never leave the storage folder.
bool PhotoStore::valid_name(const std::string& name) {
    std::string_view rest = name;
    auto take_run = [&](auto is_allowed, std::size_t min, std::size_t max) {
        std::size_t length = 0;
        while (length < rest.size() && length < max && is_allowed(rest[length]))
            ++length;
        rest.remove_prefix(length);
        return length >= min;
    };
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    auto take = [&](std::string_view text) {
        if (!rest.starts_with(text))
            return false;
        rest.remove_prefix(text.size());
        return true;
    };
    if (!take("package_") || !take_run(is_digit, 1, 16) || !take("_") || !take_run(is_hex, 16, 16))
        return false;
    take("_thumb");
    return rest == ".jpg";
}

namespace {

struct CloseDir {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

struct Entry {
    std::string path, name;
    bool temporary;
};

// Regular files of `dir` older than `grace`.
std::vector<Entry> old_files(const std::string& dir, std::chrono::seconds grace) {
    std::vector<Entry> found;
    std::unique_ptr<DIR, CloseDir> handle(::opendir(dir.c_str()));
    if (!handle)
        return found;
    auto cutoff = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - grace);
    while (dirent* entry = ::readdir(handle.get())) {
        std::string name = entry->d_name;
        std::string path = dir + "/" + name;
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_mtime > cutoff)
            continue;
        found.push_back({path, name, name.starts_with(temp_prefix) || name.starts_with("upload-")});
    }
    return found;
}

} // namespace

long long PhotoStore::sweep(DbPool& pool, std::chrono::seconds grace) const {
    long long removed = 0;
    std::vector<std::string> candidates;
    std::vector<Entry> entries = old_files(packages_dir_, grace);
    for (Entry& entry : old_files(spool_dir_, grace))
        entries.push_back(std::move(entry));
    for (const Entry& entry : entries) {
        if (entry.temporary)
            removed += ::unlink(entry.path.c_str()) == 0;
        else if (valid_name(entry.name))
            candidates.push_back(entry.name);
    }
    if (candidates.empty())
        return removed;
    DbPool::Lease db = pool.acquire();
    pg::Result orphans =
        // A package whose photo retention removed (photo_removed_at) keeps its file names but
        // no longer owns the files: the retention job's leftovers after a crash are ours.
        db->exec("SELECT f FROM unnest($1::text[]) AS f WHERE NOT EXISTS"
                 " (SELECT 1 FROM packages p WHERE (p.photo_file = f OR p.thumb_file = f)"
                 " AND p.photo_removed_at IS NULL)",
                 {pg::array_literal(candidates)});
    for (int row = 0; row < orphans.rows(); ++row)
        removed += ::unlink(path_of(std::string(orphans.text(row, 0))).c_str()) == 0;
    return removed;
}

} // namespace sarang::http
