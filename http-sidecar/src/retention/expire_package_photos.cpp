// Package photos older than parcel.photo_retention_days: the row records the removal first
// (committed), then the files go. The other order could leave a row that promises a photo
// whose file is gone; this one leaves at worst files of a row marked removed, which the storage
// sweep removes (PhotoStore::sweep).
#include "row_retention.hpp"
#include "sarang/log.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace sarang::retention {
namespace {

// packages' CHECK allows only package_<digits>_<hex>[_thumb].jpg; never follow anything else.
bool plain_name(std::string_view name) {
    return name.starts_with("package_") && name.find('/') == std::string_view::npos;
}

void remove_file(const std::string& dir, std::string_view name) {
    if (!plain_name(name))
        return;
    std::string path = dir + "/" + std::string(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        LOG_WARN("retention", "cannot remove %s (the storage sweep will): %s", path.c_str(),
                 std::strerror(errno));
}

} // namespace

long long expire_package_photos(pg::Connection& db, const RowRetention& settings) {
    long long total = 0;
    for (;;) {
        pg::Result files =
            db.exec("SELECT photo_file, thumb_file FROM retention_remove_package_photos("
                    "$1::integer * interval '1 day', $2)",
                    {std::to_string(settings.photo_days), std::to_string(batch_rows)});
        for (int row = 0; row < files.rows(); ++row) {
            remove_file(settings.packages_dir, files.text(row, 0));
            remove_file(settings.packages_dir, files.text(row, 1));
        }
        total += files.rows();
        if (files.rows() < batch_rows)
            return total;
    }
}

} // namespace sarang::retention
