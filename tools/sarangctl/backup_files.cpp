#include "backup_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace sarang::ctl {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(error));
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // Closes now so a failing close (NFS, quota) is reported.
    int release_close() {
        int fd = fd_;
        fd_ = -1;
        return ::close(fd);
    }

  private:
    int fd_;
};

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
    for (std::size_t done = 0; done < size;) {
        ssize_t wrote = ::write(fd, data + done, size - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0)
            fail("cannot write", path, wrote < 0 ? errno : EIO);
        done += static_cast<std::size_t>(wrote);
    }
}

void finish(Fd& out, const std::string& path) {
    if (::fsync(out.get()) != 0)
        fail("cannot sync", path, errno);
    if (out.release_close() != 0)
        fail("cannot close", path, errno);
}

void copy_into(int from_fd, const std::string& from, int to_fd, const std::string& to) {
    std::vector<char> buffer(1 << 16);
    for (;;) {
        ssize_t got = ::read(from_fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            fail("cannot read", from, errno);
        if (got == 0)
            return;
        write_all(to_fd, buffer.data(), static_cast<std::size_t>(got), to);
    }
}

} // namespace

std::string photos_dir_of(const std::string& storage_dir) {
    return storage_dir + "/packages";
}

std::vector<std::string> photo_names(const std::string& dir) {
    std::vector<std::string> names;
    std::unique_ptr<DIR, int (*)(DIR*)> folder(::opendir(dir.c_str()), &::closedir);
    if (!folder) {
        if (errno == ENOENT)
            return names;
        fail("cannot list", dir, errno);
    }
    while (dirent* entry = ::readdir(folder.get())) {
        std::string name = entry->d_name;
        if (name.empty() || name[0] == '.')
            continue; // ".", "..", and ".tmp-" files still being written
        struct stat info {};
        if (::lstat((dir + "/" + name).c_str(), &info) == 0 && S_ISREG(info.st_mode))
            names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

void copy_file_synced(const std::string& from, const std::string& to, unsigned mode) {
    Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0)
        fail("cannot read", from, errno);
    Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (out.get() < 0)
        fail("cannot create", to, errno);
    if (::fchmod(out.get(), mode) != 0) // the umask may have taken bits away
        fail("cannot set the mode of", to, errno);
    copy_into(in.get(), from, out.get(), to);
    finish(out, to);
}

void write_file_synced(const std::string& to, const std::string& text, unsigned mode) {
    Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (out.get() < 0)
        fail("cannot create", to, errno);
    if (::fchmod(out.get(), mode) != 0)
        fail("cannot set the mode of", to, errno);
    write_all(out.get(), text.data(), text.size(), to);
    finish(out, to);
}

void replace_file_synced(const std::string& from, const std::string& to, const std::string& like) {
    struct stat info {};
    if (::stat(like.c_str(), &info) != 0)
        fail("cannot stat", like, errno);
    // A folder's mode (rwx) is not a file's: from a folder keep only read and write bits.
    unsigned mode = S_ISDIR(info.st_mode) ? (info.st_mode & 0666) : (info.st_mode & 07777);
    std::string temporary = to.substr(0, to.find_last_of('/') + 1) + ".tmp-restore-XXXXXX";
    int raw = ::mkstemp(temporary.data());
    if (raw < 0)
        fail("cannot write beside", to, errno);
    Fd out(raw);
    try {
        Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
        if (in.get() < 0)
            fail("cannot read", from, errno);
        if (::fchmod(out.get(), mode) != 0)
            fail("cannot set the mode of", temporary, errno);
        // Root restores for the services' user (sarang-httpd serves and sweeps the photos).
        if (::geteuid() == 0 && ::fchown(out.get(), info.st_uid, info.st_gid) != 0)
            fail("cannot set the owner of", temporary, errno);
        copy_into(in.get(), from, out.get(), temporary);
        finish(out, temporary);
        if (::rename(temporary.c_str(), to.c_str()) != 0)
            fail("cannot rename onto", to, errno);
    } catch (...) {
        ::unlink(temporary.c_str());
        throw;
    }
}

void fsync_dir(const std::string& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0)
        fail("cannot sync", dir, errno);
}

void make_dir(const std::string& dir, unsigned mode) {
    if (::mkdir(dir.c_str(), mode) != 0)
        fail("cannot create", dir, errno);
    if (::chmod(dir.c_str(), mode) != 0)
        fail("cannot set the mode of", dir, errno);
}

} // namespace sarang::ctl
