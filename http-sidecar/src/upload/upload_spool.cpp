#include "upload_spool.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <microhttpd.h>
#include <unistd.h>

namespace sarang::http {
namespace {

MHD_Result iterate(void* cls, MHD_ValueKind, const char* key, const char* filename,
                   const char* content_type, const char*, const char* data, uint64_t offset,
                   size_t size) noexcept {
    return static_cast<UploadSpool*>(cls)->on_data(key, filename, content_type, data, offset, size)
               ? MHD_YES
               : MHD_NO;
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return true;
}

} // namespace

void UploadSpool::DestroyProcessor::operator()(MHD_PostProcessor* processor) const {
    MHD_destroy_post_processor(processor);
}

std::unique_ptr<UploadSpool> UploadSpool::start(MHD_Connection* connection, std::string spool_dir) {
    std::unique_ptr<UploadSpool> spool(new UploadSpool(std::move(spool_dir)));
    spool->processor_.reset(
        MHD_create_post_processor(connection, 64 * 1024, &iterate, spool.get()));
    if (!spool->processor_)
        return nullptr;
    return spool;
}

UploadSpool::~UploadSpool() {
    processor_.reset(); // may still call on_data; files_ must outlive it
    close_current();
    for (const UploadedFile& file : files_)
        ::unlink(file.path.c_str());
}

bool UploadSpool::fail(int status, std::string message) noexcept {
    if (error_status_ == 0) {
        error_status_ = status;
        try {
            error_ = std::move(message);
        } catch (...) {
        }
    }
    return false;
}

// 507 when the disk is full (the client may retry later), 500 for any other refusal.
bool UploadSpool::fail_on_disk(int error_number) noexcept {
    try {
        std::string reason = std::strerror(error_number);
        if (error_number == ENOSPC || error_number == EDQUOT)
            return fail(507, "the server has no room for the upload (" + reason +
                                 "); nothing was kept, retry later");
        return fail(500, "cannot spool the upload: " + reason);
    } catch (...) {
        return fail(500, "cannot spool the upload");
    }
}

void UploadSpool::close_current() {
    if (current_fd_ >= 0)
        ::close(current_fd_);
    current_fd_ = -1;
}

bool UploadSpool::open_file(const char* key, const char* filename, const char* content_type) {
    close_current();
    if (files_.size() >= max_files)
        return fail(400, "at most " + std::to_string(max_files) + " files per request");
    std::string path = spool_dir_ + "/upload-XXXXXX";
    int fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0)
        return fail_on_disk(errno);
    current_fd_ = fd;
    files_.push_back({key, filename ? filename : "", content_type ? content_type : "", path, 0});
    current_key_ = key;
    return true;
}

bool UploadSpool::on_data(const char* key, const char* filename, const char* content_type,
                          const char* data, std::uint64_t offset, std::size_t size) noexcept {
    try {
        if (error_status_ != 0)
            return false;
        if (key == nullptr)
            return fail(400, "a form part has no name");
        if (filename == nullptr) {
            field_bytes_ += size;
            if (field_bytes_ > max_field_bytes)
                return fail(413, "form fields are larger than " + std::to_string(max_field_bytes) +
                                     " bytes");
            fields_[key].append(data, size);
            return true;
        }
        // A new file part starts at offset 0; libmicrohttpd may announce it with no bytes.
        bool same_part =
            current_fd_ >= 0 && current_key_ == key && (offset > 0 || files_.back().size == 0);
        if (!same_part && !open_file(key, filename, content_type))
            return false;
        if (size > 0 && !write_all(current_fd_, data, size))
            return fail_on_disk(errno);
        files_.back().size += size;
        return true;
    } catch (...) {
        return fail(500, "cannot spool the upload");
    }
}

bool UploadSpool::feed(const char* data, std::size_t size) {
    if (error_status_ != 0)
        return false;
    if (MHD_post_process(processor_.get(), data, size) != MHD_YES)
        return fail(400, error_.empty() ? "malformed multipart/form-data body" : error_);
    return error_status_ == 0;
}

bool UploadSpool::finish() {
    if (error_status_ != 0)
        return false;
    // Destroying the processor flushes the last part; MHD_NO means the body ended mid-part.
    MHD_PostProcessor* processor = processor_.release();
    bool clean = MHD_destroy_post_processor(processor) == MHD_YES;
    close_current();
    if (error_status_ != 0)
        return false;
    if (!clean)
        return fail(400, "malformed or truncated multipart/form-data body");
    return true;
}

void UploadSpool::hand_over(Request& request) {
    request.form = std::move(fields_);
    request.files = files_; // copies: the spool keeps the paths to delete them
}

} // namespace sarang::http
