// Fault tests of the photo path (issue #12 item 3, docs/reliability.md): the sidecar killed with
// SIGKILL while photos arrive and while they are recompressed, and the storage folder's disk
// full. The promise: an upload the server answered 200 for is kept whole; anything else leaves
// no row and, once the storage sweep has run, no file; a full disk is a clear 507, never a
// corrupted photo or a half row.
//
// Runs with storage.sweep_grace_s = 2 and storage.sweep_interval_s = 1 (tests/CMakeLists.txt).
#include "api_session.hpp"
#include "http_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"
#include "test_photos.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <random>
#include <set>
#include <sys/mount.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vips/vips8>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path storage_dir() {
    return fs::path(std::getenv("SARANG_TEST_STATE")) / "storage";
}

std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error))
        names.insert(entry.path().filename().string());
    return names;
}

// The files package rows name: every row's, or one device's.
std::set<std::string> referenced_files(const std::string& device_id) {
    std::set<std::string> names;
    pg::Result rows = db().exec("SELECT unnest(ARRAY[photo_file, thumb_file]) FROM packages"
                                " WHERE $1 = '' OR device_id = $1",
                                {device_id});
    for (int row = 0; row < rows.rows(); ++row)
        names.insert(std::string(rows.text(row, 0)));
    return names;
}

long long package_rows() {
    return db().exec("SELECT count(*) FROM packages").integer(0, 0);
}

std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The storage holds exactly the files the package rows name, each a whole JPEG, and nothing
// half written or spooled. Waits for the sweep (grace 2 s) to remove what a crash left.
// only_device: the storage holds that device's packages only (the small disk below).
void expect_storage_consistent(std::chrono::milliseconds timeout = 20s,
                               const std::string& only_device = "") {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::set<std::string> on_disk, referenced, spooled;
    for (;;) {
        on_disk = files_in(storage_dir() / "packages");
        referenced = referenced_files(only_device);
        spooled = files_in(storage_dir() / "spool");
        if (on_disk == referenced && spooled.empty())
            break;
        if (std::chrono::steady_clock::now() > deadline) {
            print_message("%zu files on disk, %zu referenced, %zu spooled\n", on_disk.size(),
                          referenced.size(), spooled.size());
            for (const std::string& name : on_disk)
                if (!referenced.contains(name))
                    print_message("  unreferenced: %s\n", name.c_str());
            for (const std::string& name : referenced)
                if (!on_disk.contains(name))
                    print_message("  missing: %s\n", name.c_str());
            fail();
        }
        std::this_thread::sleep_for(200ms);
    }
    for (const std::string& name : on_disk) {
        vips::VImage image = vips::VImage::new_from_file(
            (storage_dir() / "packages" / name).c_str(), vips::VImage::option()->set("fail", true));
        assert_true(image.width() > 0);
        (void)image.avg(); // decodes every pixel: a truncated file fails here
    }
}

int connect_to_sidecar() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(stack_env().http_port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    return fd;
}

void send_all(int fd, const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        assert_true(n > 0);
        sent += static_cast<size_t>(n);
    }
}

void a_sidecar_killed_while_a_photo_arrives_leaves_nothing(void**) {
    ParcelBox box = make_parcel_box("kill-spool");
    long long rows_before = package_rows();
    std::string body = package_upload_body(noisy_jpeg(1200, 900), "{}");
    int fd = connect_to_sidecar();
    send_all(fd, "POST /api/v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " +
                     package_upload_content_type() + "\r\nX-API-Key: " + box.credential +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    send_all(fd, body.substr(0, body.size() / 2));
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (files_in(storage_dir() / "spool").empty()) {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(20ms);
    }
    stack_control("sidecar", "kill");
    ::close(fd);
    assert_false(files_in(storage_dir() / "spool").empty()); // the crash left its spool file
    stack_control("sidecar", "start");
    expect_storage_consistent();
    assert_int_equal(package_rows(), rows_before);
}

void a_sidecar_killed_while_photos_are_stored_keeps_every_answered_upload(void**) {
    ParcelBox box = make_parcel_box("kill-store");
    std::string photo = noisy_jpeg(1600, 1200);
    std::mt19937 random(20261123);
    std::vector<HttpResult> results;
    for (int round = 0; round < 6; ++round) {
        std::mutex mutex;
        std::vector<std::thread> uploads;
        for (int i = 0; i < 4; ++i) {
            uploads.emplace_back([&] {
                HttpResult result = upload_package(box.credential, photo, "{}");
                std::lock_guard lock(mutex);
                results.push_back(std::move(result));
            });
        }
        // Anywhere from spooling to recompressing to committing.
        std::this_thread::sleep_for(std::chrono::milliseconds(40 + random() % 400));
        stack_control("sidecar", "kill");
        for (std::thread& upload : uploads)
            upload.join();
        stack_control("sidecar", "start");
    }
    std::set<long long> answered;
    int cut_off = 0;
    for (const HttpResult& result : results) {
        if (result.status == 200)
            answered.insert(json_integer_field(result.body, "id"));
        else
            assert_int_equal(result.status, 0); // cut off by the kill, never an error
        cut_off += result.status == 0;
    }
    print_message("%zu uploads answered 200, %d cut off by a SIGKILL\n", answered.size(), cut_off);
    assert_true(cut_off > 0);
    expect_storage_consistent();
    for (long long id : answered) // an answered upload is kept, photo and thumbnail
        assert_int_equal(
            db().exec("SELECT count(*) FROM packages WHERE id = $1", {std::to_string(id)})
                .integer(0, 0),
            1);
}

// Mounts a small tmpfs over the storage folder for the life of the object (root only).
class SmallDisk {
  public:
    explicit SmallDisk(const char* size) {
        stack_control("sidecar", "stop");
        std::string options = std::string("size=") + size + ",mode=0755";
        assert_int_equal(::mount("tmpfs", storage_dir().c_str(), "tmpfs", 0, options.c_str()), 0);
        stack_control("sidecar", "start");
    }
    ~SmallDisk() {
        stack_control("sidecar", "stop");
        ::umount2(storage_dir().c_str(), MNT_DETACH);
        stack_control("sidecar", "start");
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
};

void a_full_disk_is_a_clear_507_and_corrupts_nothing(void**) {
    if (::geteuid() != 0) {
        print_message("mounting a small file system needs root: skipped\n");
        skip();
    }
    ParcelBox box = make_parcel_box("full");
    SmallDisk disk("3m");
    long long rows_before = package_rows();
    std::string photo = noisy_jpeg(900, 700); // about 0.6 MB spooled, 0.5 MB stored
    std::map<long long, std::string> kept;    // id -> stored photo bytes
    HttpResult refused;
    for (int attempt = 0; attempt < 20 && refused.status == 0; ++attempt) {
        HttpResult result = upload_package(box.credential, photo, "{}");
        if (result.status == 200) {
            long long id = json_integer_field(result.body, "id");
            std::string file(
                db().exec("SELECT photo_file FROM packages WHERE id = $1", {std::to_string(id)})
                    .text(0, 0));
            kept[id] = file_bytes(storage_dir() / "packages" / file);
        } else {
            refused = result;
        }
    }
    print_message("%zu uploads fitted on the 3 MB disk, then HTTP %d: %s\n", kept.size(),
                  refused.status, refused.body.c_str());
    assert_true(!kept.empty());
    assert_int_equal(refused.status, 507);
    assert_text_equal(json_field(refused.body, "code"), "insufficient_storage");
    assert_true(json_field(refused.body, "error").find("retry later") != std::string::npos);
    assert_int_equal(package_rows(), rows_before + static_cast<long long>(kept.size()));
    expect_storage_consistent(5s, box.id);
    // What was stored before the disk filled is intact, byte for byte, and still served.
    for (const auto& [id, bytes] : kept) {
        HttpResult served =
            api_get("/api/v1/packages/" + std::to_string(id) + "/photo", box.owner.token);
        assert_int_equal(served.status, 200);
        assert_true(served.body == bytes);
    }
    // Room made by deleting a package: uploads work again, with no restart.
    long long first = kept.begin()->first;
    assert_int_equal(http_request(stack_env().http_port, "DELETE",
                                  "/api/packages/" + std::to_string(first), "",
                                  bearer(box.owner.token))
                         .status,
                     200);
    assert_int_equal(upload_package(box.credential, test_jpeg(320, 240), "{}").status, 200);
    assert_int_equal(http_request(stack_env().http_port, "GET", "/healthz").status, 200);
    expect_storage_consistent(5s, box.id);
}

} // namespace

int main() {
    VIPS_INIT("upload_faults_test");
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_sidecar_killed_while_a_photo_arrives_leaves_nothing),
        cmocka_unit_test(a_sidecar_killed_while_photos_are_stored_keeps_every_answered_upload),
        cmocka_unit_test(a_full_disk_is_a_clear_507_and_corrupts_nothing),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
