#include "static_site.hpp"

#include "web/web_paths.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace sarang::http {
namespace {

// Closes a descriptor unless released.
class OwnedFd {
  public:
    explicit OwnedFd(int fd) : fd_(fd) {}
    ~OwnedFd() {
        if (fd_ >= 0)
            close(fd_);
    }
    OwnedFd(const OwnedFd&) = delete;
    OwnedFd& operator=(const OwnedFd&) = delete;
    OwnedFd(OwnedFd&& other) noexcept : fd_(other.release()) {}
    OwnedFd& operator=(OwnedFd&& other) noexcept {
        if (this != &other) {
            if (fd_ >= 0)
                close(fd_);
            fd_ = other.release();
        }
        return *this;
    }
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    int fd_;
};

Response not_found(const Request& request) {
    Response response = error_response(404, "not_found", "no such resource: " + request.path);
    response.headers.emplace_back("Content-Security-Policy",
                                  std::string(web::content_security_policy()));
    return response;
}

// The regular file at `segments` below `dir_fd`, or -1. O_NOFOLLOW on every step refuses
// symlinks wherever they are; O_DIRECTORY makes the inner steps folders.
int open_beneath(int dir_fd, const std::vector<std::string>& segments) {
    OwnedFd current(dup(dir_fd));
    if (current.get() < 0)
        return -1;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        OwnedFd next(openat(current.get(), segments[i].c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.get() < 0)
            return -1;
        current = std::move(next);
    }
    OwnedFd file(openat(current.get(), segments.back().c_str(),
                        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (file.get() < 0)
        return -1;
    struct stat info {};
    if (fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode))
        return -1;
    return file.release();
}

} // namespace

StaticSite::StaticSite(const std::string& dir) {
    dir_fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0)
        throw std::runtime_error("http.web_dir " + dir + ": " + std::strerror(errno));
}

StaticSite::~StaticSite() {
    if (dir_fd_ >= 0)
        close(dir_fd_);
}

Response StaticSite::serve(const Request& request) const {
    std::optional<std::vector<std::string>> segments = web::file_segments(request.path);
    if (!segments)
        return not_found(request);
    std::optional<std::string_view> type = web::content_type_of(segments->back());
    if (!type)
        return not_found(request);
    int fd = open_beneath(dir_fd_, *segments);
    if (fd < 0)
        return not_found(request);
    struct stat info {};
    fstat(fd, &info);
    Response response;
    response.content_type = std::string(*type);
    response.file = std::make_shared<FileBody>(fd, static_cast<std::uint64_t>(info.st_size));
    response.headers.emplace_back("Cache-Control",
                                  std::string(web::cache_control_of(segments->back())));
    response.headers.emplace_back("Content-Security-Policy",
                                  std::string(web::content_security_policy()));
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    return response;
}

} // namespace sarang::http
