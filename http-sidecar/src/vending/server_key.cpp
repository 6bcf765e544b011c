#include "server_key.hpp"

#include "sarang/config.hpp"
#include "sarang/log.hpp"

#include <sys/stat.h>

namespace sarang::http {

ServerKey::ServerKey(std::string config_path, std::string initial)
    : path_(std::move(config_path)), key_(std::move(initial)) {
    struct stat info {};
    if (!path_.empty() && stat(path_.c_str(), &info) == 0) {
        device_ = info.st_dev;
        inode_ = info.st_ino;
        mtime_ns_ = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
        size_ = info.st_size;
    }
}

std::string ServerKey::current() {
    std::lock_guard lock(mutex_);
    if (path_.empty())
        return key_;
    struct stat info {};
    if (stat(path_.c_str(), &info) != 0)
        return key_; // a rename in progress or a removed file: keep what worked
    long long mtime_ns = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
    // Inode and size too: two writes within the file system's timestamp granularity.
    if (info.st_dev == device_ && info.st_ino == inode_ && mtime_ns == mtime_ns_ &&
        info.st_size == size_)
        return key_;
    try {
        std::string key = Config::load_file(path_).string("vending.midtrans_server_key");
        if (key != key_)
            LOG_INFO("payments", "vending.midtrans_server_key %s from %s",
                     key.empty() ? "removed" : "reloaded", path_.c_str());
        key_ = std::move(key);
    } catch (const std::exception& error) {
        LOG_WARN("payments", "%s changed but does not parse (%s); keeping the previous key",
                 path_.c_str(), error.what());
    }
    device_ = info.st_dev;
    inode_ = info.st_ino;
    mtime_ns_ = mtime_ns;
    size_ = info.st_size;
    return key_;
}

} // namespace sarang::http
