#pragma once
// A multipart/form-data body taken apart as it arrives (libmicrohttpd's post processor): file
// parts go straight to temporary files in a spool folder, plain fields stay in memory (small).
// Nothing holds the whole body. Whatever is spooled is deleted with the spool, so a request
// that fails, or a handler that copied what it needed, leaves no file behind.
#include "router.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct MHD_Connection;
struct MHD_PostProcessor;

namespace sarang::http {

class UploadSpool {
  public:
    static constexpr std::size_t max_field_bytes = 64 * 1024;
    static constexpr std::size_t max_files = 4;

    // nullptr when the request is not multipart/form-data (libmicrohttpd cannot parse it).
    static std::unique_ptr<UploadSpool> start(MHD_Connection* connection, std::string spool_dir);
    ~UploadSpool();
    UploadSpool(const UploadSpool&) = delete;
    UploadSpool& operator=(const UploadSpool&) = delete;

    // Feeds body bytes; false once the body is malformed or cannot be spooled (see error()).
    bool feed(const char* data, std::size_t size);
    // The end of the body: flushes the parser. False when the body was malformed.
    bool finish();
    // Why feed/finish failed: 400 for a malformed body, 507 when the disk is full, 500 when it
    // refused otherwise.
    int error_status() const { return error_status_; }
    const std::string& error() const { return error_; }

    // Moves the fields and files into the request; the spool still deletes the files.
    void hand_over(Request& request);

    // For the post processor's callback; never throws.
    bool on_data(const char* key, const char* filename, const char* content_type, const char* data,
                 std::uint64_t offset, std::size_t size) noexcept;

  private:
    explicit UploadSpool(std::string spool_dir) : spool_dir_(std::move(spool_dir)) {}
    bool fail(int status, std::string message) noexcept;
    bool fail_on_disk(int error_number) noexcept;
    bool open_file(const char* key, const char* filename, const char* content_type);
    void close_current();

    struct DestroyProcessor {
        void operator()(MHD_PostProcessor* processor) const;
    };
    std::string spool_dir_;
    std::unique_ptr<MHD_PostProcessor, DestroyProcessor> processor_;
    std::map<std::string, std::string> fields_;
    std::size_t field_bytes_ = 0;
    std::vector<UploadedFile> files_;
    int current_fd_ = -1; // the file part being written, the last of files_
    std::string current_key_;
    int error_status_ = 0;
    std::string error_;
};

} // namespace sarang::http
