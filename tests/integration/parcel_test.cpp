// The parcel box against the real stack (docs/parcel.md): photo uploads (limits, types,
// thumbnails, EXIF rotation), packages and their files, settings and control payloads as the
// seed's firmware reads them, stats.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "stack_env.hpp"
#include "test_photos.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vips/vips8>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
using vips::VImage;

namespace {

HttpResult upload(const ParcelBox& box, const std::string& photo, const std::string& meta) {
    return upload_package(box.credential, photo, meta);
}

std::string meta_of(const ParcelBox& box) {
    return R"({"deviceId":")" + box.id +
           R"(","distanceCm":17,"reason":"detect","firmware":"esp32cam-allinone"})";
}

std::filesystem::path packages_dir() {
    return std::filesystem::path(std::getenv("SARANG_TEST_STATE")) / "storage" / "packages";
}

size_t files_in_storage() {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(packages_dir())) {
        (void)entry;
        ++count;
    }
    return count;
}

// The stored file behind a package URL, read back with libvips.
VImage stored_image(const std::string& token, const std::string& url) {
    HttpResult image = http_request(stack_env().http_port, "GET", url, "", bearer(token));
    assert_int_equal(image.status, 200);
    assert_text_equal(image.header("content-type"), "image/jpeg");
    return VImage::new_from_buffer(image.body.data(), image.body.size(), "");
}

void uploads_make_an_upright_photo_and_a_square_thumbnail(void**) {
    ParcelBox box = make_parcel_box("box-up");
    // Orientation 6: the camera was turned; the stored photo must be upright (portrait).
    HttpResult stored = upload(box, test_jpeg(400, 200, 6), meta_of(box));
    assert_int_equal(stored.status, 200);
    std::string error;
    json::Ptr body = json::parse(stored.body, error);
    assert_true(json_is_true(json_object_get(body.get(), "success")));
    assert_true(json_integer_value(json_object_get(body.get(), "id")) > 0);
    assert_false(json_field(stored.body, "ts").empty());
    VImage photo = stored_image(box.owner.token, json_field(stored.body, "photoUrl"));
    assert_int_equal(photo.width(), 200);
    assert_int_equal(photo.height(), 400);
    VImage thumb = stored_image(box.owner.token, json_field(stored.body, "thumbUrl"));
    assert_int_equal(thumb.width(), 300);
    assert_int_equal(thumb.height(), 300);

    HttpResult from_png = upload(box, test_png(640, 480), "{}");
    assert_int_equal(from_png.status, 200);
    VImage png_thumb = stored_image(box.owner.token, json_field(from_png.body, "thumbUrl"));
    assert_int_equal(png_thumb.width(), 300);
    assert_int_equal(png_thumb.height(), 300);

    // Nobody else sees them, and nothing is served without a session.
    AppAccount stranger = create_account(unique_id("stranger"));
    assert_int_equal(http_request(stack_env().http_port, "GET", json_field(stored.body, "photoUrl"),
                                  "", bearer(stranger.token))
                         .status,
                     404);
    assert_int_equal(
        http_request(stack_env().http_port, "GET", json_field(stored.body, "photoUrl")).status,
        401);
    std::string id = std::to_string(json_integer_value(json_object_get(body.get(), "id")));
    assert_int_equal(api_get("/api/packages/" + id, stranger.token).status, 404);
    HttpResult mine = api_get("/api/packages/" + id, box.owner.token);
    assert_int_equal(mine.status, 200);
    assert_true(mine.body.find("\"distanceCm\": 17") != std::string::npos ||
                mine.body.find("\"distanceCm\":17") != std::string::npos);
}

void uploads_refuse_other_types_and_bad_credentials(void**) {
    ParcelBox box = make_parcel_box("box-type");
    size_t before = files_in_storage();
    HttpResult gif = upload(box, std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 13), "{}");
    assert_int_equal(gif.status, 415);
    assert_int_equal(upload(box, "just some text, not an image", "{}").status, 415);
    // JPEG magic bytes but no image behind them: refused, nothing stored.
    assert_int_equal(upload(box, std::string("\xFF\xD8\xFF\xE0garbage", 11), "{}").status, 422);
    ParcelBox other = make_parcel_box("box-other");
    assert_int_equal(upload(box, test_jpeg(32, 32), meta_of(other)).status, 403);
    ParcelBox forged = box;
    forged.credential = "not-a-credential";
    assert_int_equal(upload(forged, test_jpeg(32, 32), "{}").status, 401);
    assert_int_equal(files_in_storage(), before);
}

// A connection that has sent an upload's head (announcing `content_length` bytes). With
// `admitted`, it waits for the server's 100 Continue (the head passed the admit check) and then
// sends the start of a body.
int open_upload(const std::string& credential, const char* content_length, bool admitted = false) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(stack_env().http_port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    std::string head = "POST /api/v1/packages HTTP/1.1\r\nHost: localhost\r\n"
                       "Content-Type: multipart/form-data; boundary=sarang-test-boundary\r\n"
                       "X-API-Key: " +
                       credential + "\r\nContent-Length: " + content_length + "\r\n" +
                       (admitted ? "Expect: 100-continue\r\n" : "") + "\r\n";
    assert_true(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(head.size()));
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (admitted) {
        char answer[128] = {};
        ssize_t got = ::recv(fd, answer, sizeof answer - 1, 0);
        assert_true(got > 0);
        assert_true(std::string(answer).starts_with("HTTP/1.1 100"));
        std::string start = "--sarang-test-boundary\r\nContent-Disposition: form-data; "
                            "name=\"photo\"; filename=\"p.jpg\"\r\n\r\n\xFF\xD8\xFF";
        assert_true(::send(fd, start.data(), start.size(), MSG_NOSIGNAL) ==
                    static_cast<ssize_t>(start.size()));
    }
    return fd;
}

// The answer to a request announcing `content_length` bytes, read after sending only its head.
std::string answer_to_head(const std::string& credential, const char* content_length) {
    int fd = open_upload(credential, content_length);
    char answer[512] = {};
    ssize_t got = ::recv(fd, answer, sizeof answer - 1, 0);
    ::close(fd);
    assert_true(got > 0);
    return answer;
}

// 6 MB announced: the answer comes before a byte of the body is sent.
void an_oversized_upload_is_refused_before_its_body(void**) {
    ParcelBox box = make_parcel_box("box-big");
    assert_true(answer_to_head(box.credential, "6291456").starts_with("HTTP/1.1 413"));
}

// Without a valid device credential nothing is spooled: 401 comes back on the head alone.
void an_unknown_sender_is_refused_before_its_body(void**) {
    assert_true(answer_to_head("not-a-credential", "4194304").starts_with("HTTP/1.1 401"));
}

// Any other device's credential is refused on the head alone too: only a parcel box makes the
// server spool a photo.
void another_kind_of_device_is_refused_before_its_body(void**) {
    std::string relay = unique_id("relay-up");
    std::string credential = create_device(relay, "relay");
    assert_true(answer_to_head(credential, "4194304").starts_with("HTTP/1.1 403"));
}

// Uploads the test photo, retrying while the box's one upload place is taken, for at most
// `bound`; the last status and how long it took.
std::pair<int, std::chrono::steady_clock::duration>
upload_once_admitted(const ParcelBox& box, std::chrono::seconds bound) {
    auto started = std::chrono::steady_clock::now();
    int status = 0;
    while ((status = upload(box, test_jpeg(32, 32), "{}").status) == 429 &&
           std::chrono::steady_clock::now() - started < bound)
        std::this_thread::sleep_for(50ms);
    return {status, std::chrono::steady_clock::now() - started};
}

// One upload at a time per box: a second one is refused on its head while the first is open,
// and admitted once the first is gone. The place comes back when the server sees the close, at
// the latest when the connection has been idle for the upload timeout (5 s here; the next case):
// so the bound is that plus room for a loaded machine.
void a_box_uploads_one_photo_at_a_time(void**) {
    ParcelBox box = make_parcel_box("box-one");
    int first = open_upload(box.credential, "4194304", true);
    std::string second = answer_to_head(box.credential, "4194304");
    assert_true(second.starts_with("HTTP/1.1 429"));
    assert_non_null(std::strstr(second.c_str(), "upload_in_progress"));
    ::close(first);
    assert_int_equal(upload_once_admitted(box, 15s).first, 200);
}

// A box that goes silent mid-upload without closing (power lost: no FIN ever comes) holds its
// place only until its connection has been idle for storage.upload_timeout_s (5 s here), not
// for the server's 30 s idle timeout; the server then closes it.
void a_silent_upload_gives_its_place_back_after_the_upload_timeout(void**) {
    ParcelBox box = make_parcel_box("box-mute");
    int silent = open_upload(box.credential, "4194304", true);
    auto [status, waited] = upload_once_admitted(box, 20s);
    assert_int_equal(status, 200);
    assert_true(waited >= 3s); // it was the timeout, not an early release
    char byte = 0;
    timeval timeout{5, 0};
    setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ssize_t got = ::recv(silent, &byte, 1, 0);
    // Closed by the server: EOF or a reset, not a receive timeout.
    assert_true(got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
    ::close(silent);
}

// An upload that trickles in is dropped storage.upload_timeout_s (5 s here) after its head,
// spool and all, however steadily its bytes come.
void a_trickling_upload_is_dropped(void**) {
    ParcelBox box = make_parcel_box("box-slow");
    int fd = open_upload(box.credential, "4194304", true);
    auto started = std::chrono::steady_clock::now();
    bool closed = false;
    while (!closed && std::chrono::steady_clock::now() - started < 10s) {
        std::this_thread::sleep_for(500ms);
        closed = ::send(fd, "a", 1, MSG_NOSIGNAL) != 1;
        char answer[64];
        ssize_t got = closed ? 0 : ::recv(fd, answer, sizeof answer, MSG_DONTWAIT);
        closed = got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    ::close(fd);
    assert_true(closed);
    assert_true(std::chrono::steady_clock::now() - started >= 4s);
    // Its place is free again.
    assert_int_equal(upload(box, test_jpeg(32, 32), "{}").status, 200);
}

void deleting_a_package_leaves_no_file(void**) {
    ParcelBox box = make_parcel_box("box-del");
    size_t before = files_in_storage();
    HttpResult stored = upload(box, test_jpeg(120, 80), meta_of(box));
    assert_int_equal(stored.status, 200);
    assert_int_equal(files_in_storage(), before + 2);
    std::string id = std::to_string(json_integer_field(stored.body, "id"));
    AppAccount stranger = create_account(unique_id("thief"));
    assert_int_equal(http_request(stack_env().http_port, "DELETE", "/api/packages/" + id, "",
                                  bearer(stranger.token))
                         .status,
                     404);
    assert_int_equal(http_request(stack_env().http_port, "DELETE", "/api/packages/" + id, "",
                                  bearer(box.owner.token))
                         .status,
                     200);
    assert_int_equal(files_in_storage(), before);
    assert_int_equal(api_get("/api/packages/" + id, box.owner.token).status, 404);
}

// Issue #20: after parcel.photo_retention_days (365) `sarangctl retention run` removes both
// files and records it on the row; the package stays listed and its image URLs answer 410.
void a_photo_past_its_retention_is_removed_and_answers_gone(void**) {
    ParcelBox box = make_parcel_box("box-old");
    HttpResult old_one = upload(box, test_jpeg(120, 80), meta_of(box));
    HttpResult new_one = upload(box, test_jpeg(120, 80), meta_of(box));
    assert_int_equal(old_one.status, 200);
    assert_int_equal(new_one.status, 200);
    std::string id = std::to_string(json_integer_field(old_one.body, "id"));
    std::string kept = std::to_string(json_integer_field(new_one.body, "id"));
    db().exec("UPDATE packages SET received_at = now() - interval '366 days' WHERE id = $1", {id});
    pg::Result files = db().exec("SELECT photo_file, thumb_file FROM packages WHERE id = $1", {id});
    std::filesystem::path photo = packages_dir() / std::string(files.text(0, 0));
    std::filesystem::path thumb = packages_dir() / std::string(files.text(0, 1));
    assert_true(std::filesystem::exists(photo) && std::filesystem::exists(thumb));

    std::string output;
    assert_int_equal(run_sarangctl("retention run", output), 0);
    if (!std::strstr(output.c_str(), "package photos: 1 past retention\n"))
        fail_msg("retention run said:\n%s", output.c_str());
    assert_false(std::filesystem::exists(photo));
    assert_false(std::filesystem::exists(thumb));
    HttpResult package = api_get("/api/packages/" + id, box.owner.token);
    assert_int_equal(package.status, 200);
    assert_non_null(std::strstr(package.body.c_str(), "\"photoRemovedAt\":\""));
    for (const char* image : {"/photo", "/thumb"}) {
        HttpResult gone =
            http_request(stack_env().http_port, "GET", "/api/v1/packages/" + id + image, "",
                         bearer(box.owner.token));
        assert_int_equal(gone.status, 410);
        assert_text_equal(json_field(gone.body, "code"), "gone");
    }
    // The newer package keeps its photo.
    stored_image(box.owner.token, "/api/v1/packages/" + kept + "/photo");
    assert_non_null(std::strstr(api_get("/api/packages/" + kept, box.owner.token).body.c_str(),
                                "\"photoRemovedAt\":null"));
}

// A crash between marking a photo removed and unlinking its files leaves them to the storage
// sweep (every second here): a marked row no longer keeps its files.
void the_sweep_takes_the_files_of_a_photo_marked_removed(void**) {
    ParcelBox box = make_parcel_box("box-crash");
    HttpResult stored = upload(box, test_jpeg(64, 48), meta_of(box));
    assert_int_equal(stored.status, 200);
    std::string id = std::to_string(json_integer_field(stored.body, "id"));
    pg::Result files = db().exec("UPDATE packages SET photo_removed_at = now() WHERE id = $1"
                                 " RETURNING photo_file, thumb_file",
                                 {id});
    std::vector<std::filesystem::path> left;
    for (int column = 0; column < 2; ++column) {
        left.push_back(packages_dir() / std::string(files.text(0, column)));
        // Older than storage.sweep_grace_s, as a year-old photo is.
        std::filesystem::last_write_time(
            left.back(), std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::filesystem::exists(left[0]) || std::filesystem::exists(left[1])) {
        if (std::chrono::steady_clock::now() > deadline)
            fail_msg("the sweep left %s", left[0].c_str());
        std::this_thread::sleep_for(100ms);
    }
    assert_int_equal(http_request(stack_env().http_port, "GET", "/api/v1/packages/" + id + "/thumb",
                                  "", bearer(box.owner.token))
                         .status,
                     410);
}

void stats_and_pickup(void**) {
    ParcelBox box = make_parcel_box("box-stats");
    for (int i = 0; i < 3; ++i)
        assert_int_equal(upload(box, test_jpeg(64, 48), meta_of(box)).status, 200);
    HttpResult stats = api_get("/api/packages/stats/summary", box.owner.token);
    assert_int_equal(stats.status, 200);
    std::string error;
    json::Ptr body = json::parse(stats.body, error);
    const json_t* numbers = json_object_get(body.get(), "stats");
    assert_int_equal(json_integer_value(json_object_get(numbers, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(numbers, "today")), 3);
    assert_int_equal(json_integer_value(json_object_get(numbers, "thisWeek")), 3);
    long long latest =
        json_integer_value(json_object_get(json_object_get(numbers, "latest"), "id"));
    HttpResult list = api_get("/api/packages?limit=2&offset=0", box.owner.token);
    assert_int_equal(json_integer_field(list.body, "total"), 3);
    json::Ptr page = json::parse(list.body, error);
    const json_t* packages = json_object_get(page.get(), "packages");
    assert_int_equal(json_array_size(packages), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(packages, 0), "id")),
                     latest);
    HttpResult picked =
        api_post("/api/packages/" + std::to_string(latest) + "/pickup", "", box.owner.token);
    assert_int_equal(picked.status, 200);
    assert_true(picked.body.find("picked_up") != std::string::npos);
}

// A published payload, less the command id Sarang adds, equals `expected` as JSON (key order
// aside).
bool same_payload(const std::string& payload, const std::string& expected) {
    std::string error;
    json::Ptr parsed = json::parse(payload, error);
    json::Ptr wanted = json::parse(expected, error);
    if (!parsed || !wanted)
        return false;
    json_object_del(parsed.get(), "id");
    if (json_equal(parsed.get(), wanted.get()))
        return true;
    std::fprintf(stderr, "payload %s, expected %s\n", payload.c_str(), expected.c_str());
    return false;
}

void settings_are_checked_stored_and_sent(void**) {
    ParcelBox box = make_parcel_box("box-set");
    MqttClient device(box.id, 4);
    assert_int_equal(device.connect(stack_env().mqtt_port, box.id, box.credential), 0);
    assert_int_equal(device.subscribe("smartparcel/" + box.id + "/settings/set"), 1);
    HttpResult bad = http_request(stack_env().http_port, "PUT", "/api/device/settings",
                                  R"({"ultra":{"min":60}})", bearer(box.owner.token));
    assert_int_equal(bad.status, 400);
    assert_text_equal(json_field(bad.body, "field"), "ultra.min");
    HttpResult crossed = http_request(stack_env().http_port, "PUT", "/api/device/settings",
                                      R"({"ultra":{"min":30,"max":20}})", bearer(box.owner.token));
    assert_int_equal(crossed.status, 400);
    HttpResult buzz = http_request(stack_env().http_port, "PUT", "/api/device/settings",
                                   R"({"buzzer":{"buzzOn":50}})", bearer(box.owner.token));
    assert_text_equal(json_field(buzz.body, "field"), "buzzer.buzzOn");
    HttpResult good = http_request(stack_env().http_port, "PUT", "/api/device/settings",
                                   R"({"ultra":{"min":10,"max":30},"lock":{"ms":7000}})",
                                   bearer(box.owner.token));
    assert_int_equal(good.status, 200);
    std::optional<std::string> sent =
        device.next_payload("smartparcel/" + box.id + "/settings/set", 5s);
    assert_true(sent.has_value());
    assert_true(same_payload(*sent, R"({"ultra": {"min": 10, "max": 30}, "lock": {"ms": 7000},)"
                                    R"( "buzzer": {"ms": 60000, "buzzOn": 500, "buzzOff": 300}})"));
    HttpResult now = api_get("/api/device/settings", box.owner.token);
    assert_true(now.body.find("\"ms\":7000") != std::string::npos);
}

void control_payloads_are_the_seeds(void**) {
    ParcelBox box = make_parcel_box("box-ctl");
    MqttClient device(box.id, 4);
    assert_int_equal(device.connect(stack_env().mqtt_port, box.id, box.credential), 0);
    const std::string topic = "smartparcel/" + box.id + "/control";
    assert_int_equal(device.subscribe(topic), 1);
    struct Case {
        const char* path;
        const char* body;
        const char* payload;
    } cases[] = {
        {"capture", "", R"({"capture": true})"},
        {"flash", R"({"state":"on"})", R"({"flash": "on"})"},
        {"flash", R"({"state":"pulse","ms":150})", R"({"flash": "pulse", "ms": 150})"},
        {"buzzer", R"({"action":"start","ms":5000})", R"({"buzzer": "start", "ms": 5000})"},
        {"buzzer", R"({"action":"stop"})", R"({"buzzer": "stop"})"},
        {"holder", R"({"action":"open","ms":5000})", R"({"holder": "open", "ms": 5000})"},
        {"stop-pipeline", "", R"({"pipeline": "stop"})"},
    };
    for (const Case& c : cases) {
        HttpResult sent =
            api_post(std::string("/api/device/control/") + c.path, c.body, box.owner.token);
        assert_int_equal(sent.status, 200);
        std::optional<std::string> payload = device.next_payload(topic, 5s);
        assert_true(payload.has_value());
        assert_true(same_payload(*payload, c.payload));
    }
    assert_int_equal(
        api_post("/api/device/control/flash", R"({"state":"blink"})", box.owner.token).status, 422);
    assert_int_equal(
        api_post("/api/device/control/buzzer", R"({"action":"start","ms":5})", box.owner.token)
            .status,
        422);
    assert_int_equal(api_post("/api/device/control/holder", "{not json", box.owner.token).status,
                     400);
    // The device acknowledges; the status shows the outcome.
    assert_true(accepted(device.publish(topic + "/ack", R"({"action":"holder","ok":true})")));
    HttpResult status = api_get("/api/device/status", box.owner.token);
    assert_int_equal(status.status, 200);
    assert_true(status.body.find("\"isOnline\":true") != std::string::npos);
}

void a_new_token_works_and_the_old_one_keeps_its_grace(void**) {
    ParcelBox box = make_parcel_box("box-token");
    HttpResult issued = api_post("/api/device/generate-token", "", box.owner.token);
    assert_int_equal(issued.status, 200);
    std::string token = json_field(issued.body, "token");
    assert_true(token.size() >= 32);
    ParcelBox renewed = box;
    renewed.credential = token;
    assert_int_equal(upload(renewed, test_jpeg(40, 40), "{}").status, 200);
    assert_int_equal(upload(box, test_jpeg(40, 40), "{}").status, 200); // within the grace
}

} // namespace

int main() {
    if (VIPS_INIT("parcel_test") != 0)
        return 1;
    const CMUnitTest tests[] = {
        cmocka_unit_test(uploads_make_an_upright_photo_and_a_square_thumbnail),
        cmocka_unit_test(uploads_refuse_other_types_and_bad_credentials),
        cmocka_unit_test(an_oversized_upload_is_refused_before_its_body),
        cmocka_unit_test(an_unknown_sender_is_refused_before_its_body),
        cmocka_unit_test(another_kind_of_device_is_refused_before_its_body),
        cmocka_unit_test(a_box_uploads_one_photo_at_a_time),
        cmocka_unit_test(a_silent_upload_gives_its_place_back_after_the_upload_timeout),
        cmocka_unit_test(a_trickling_upload_is_dropped),
        cmocka_unit_test(deleting_a_package_leaves_no_file),
        cmocka_unit_test(a_photo_past_its_retention_is_removed_and_answers_gone),
        cmocka_unit_test(the_sweep_takes_the_files_of_a_photo_marked_removed),
        cmocka_unit_test(stats_and_pickup),
        cmocka_unit_test(settings_are_checked_stored_and_sent),
        cmocka_unit_test(control_payloads_are_the_seeds),
        cmocka_unit_test(a_new_token_works_and_the_old_one_keeps_its_grace),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
