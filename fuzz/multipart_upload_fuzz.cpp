// A photo upload as the sidecar receives it: a real HttpServer (libmicrohttpd and its post
// processor, UploadSpool) on a loopback port, one upload route whose handler reads the `meta`
// field and the spooled files the way POST /api/v1/packages does. The input is the Content-Type
// value (first line) and the body. Promises: an answer below 500 for any body, and no spooled
// file left behind once the request is over.
#include "fuzz_support.hpp"
#include "http_server.hpp"
#include "parcel/package_meta.hpp"
#include "sarang/log.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace sarang::http;

namespace {

struct Fixture {
    fs::path spool;
    Router router;
    Metrics metrics;
    std::unique_ptr<HttpServer> server;

    Fixture() {
        sarang::log::set_level(sarang::log::Level::error);
        char pattern[] = "/tmp/sarang-upload-fuzz-XXXXXX";
        spool = mkdtemp(pattern);
        router.add_upload(
            "POST", "/upload", Access::anyone("the fuzz target"),
            [](const Request& request) {
                auto meta = request.form.find("meta");
                parse_package_meta(meta == request.form.end() ? "" : meta->second);
                for (const UploadedFile& file : request.files) {
                    struct stat info {};
                    FUZZ_CHECK(::stat(file.path.c_str(), &info) == 0);
                    FUZZ_CHECK(static_cast<std::uint64_t>(info.st_size) == file.size);
                }
                return Response{};
            },
            64 * 1024);
        ServerOptions options;
        options.port = 0;
        options.upload_spool_dir = spool.string();
        options.drain_timeout = std::chrono::milliseconds(100);
        server = std::make_unique<HttpServer>(options, router, metrics);
    }
    ~Fixture() {
        server.reset(); // finishes its requests first
        std::error_code ignored;
        fs::remove_all(spool, ignored);
    }
};

bool spool_empty(const fs::path& spool) {
    for (int tries = 0; tries < 200; ++tries) { // the server finishes a request after answering
        if (fs::is_empty(spool))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

// A connection per input, thousands a second: closed with a reset (linger 0) so that neither
// side keeps it in TIME_WAIT, which would use up the loopback's ports for everyone on the
// machine. A connect that still finds none free waits for one.
int connected(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int tries = 0; tries < 500; ++tries) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        FUZZ_CHECK(fd >= 0);
        linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
            return fd;
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FUZZ_CHECK(!"no connection to the server within 5 s");
    return -1;
}

int post(std::uint16_t port, const std::string& request) {
    int fd = connected(port);
    for (std::size_t sent = 0; sent < request.size();) {
        ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; // the server may answer and close before the whole body is in
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    int status = 0;
    if (answer.starts_with("HTTP/1.1 ") && answer.size() >= 12)
        status = std::atoi(answer.substr(9, 3).c_str());
    return status;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixture fixture;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t line_end = input.find('\n');
    if (line_end == std::string_view::npos || line_end > 200)
        return 0;
    std::string_view content_type = input.substr(0, line_end);
    std::string_view body = input.substr(line_end + 1);
    if (content_type.find_first_of("\r\n") != std::string_view::npos)
        return -1; // a header line that ends early tests HTTP framing, not uploads
    std::string request = "POST /upload HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                          "Content-Type: " +
                          std::string(content_type) +
                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                          std::string(body);
    int status = post(fixture.server->port(), request);
    // 0: libmicrohttpd refused the header itself and closed the connection.
    FUZZ_CHECK(status < 500);
    FUZZ_CHECK(spool_empty(fixture.spool));
    return 0;
}
