// GET /api/v1/stream against the real stack: the first snapshot, a reading published over MQTT
// arriving as an event, another user's device never appearing, presence changes, the ways in
// (Bearer header, ?access_token=) and out (no token, the per-user limit, logout), the heartbeat.
// Runs with http.stream_heartbeat_s = 1 so that pings and session checks come quickly.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "sse_client.hpp"
#include "stack_env.hpp"

#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

int http_port() {
    return stack_env().http_port;
}

void give_device(const std::string& device, const std::string& username) {
    db().exec("UPDATE devices SET owner_id = (SELECT id FROM users WHERE username = $1)"
              " WHERE id = $2",
              {username, device});
}

json::Ptr parse(const std::string& text) {
    std::string error;
    json::Ptr value = json::parse(text, error);
    if (!value)
        print_message("not JSON (%s): %s\n", error.c_str(), text.c_str());
    assert_non_null(value.get());
    return value;
}

// The device object of a snapshot's or resync's list; nullptr when absent.
json_t* listed(json_t* list, const std::string& id) {
    json_t* devices = json_object_get(list, "devices");
    assert_true(json_is_array(devices));
    for (size_t i = 0; i < json_array_size(devices); ++i) {
        json_t* device = json_array_get(devices, i);
        if (id == json_string_value(json_object_get(device, "id")))
            return device;
    }
    return nullptr;
}

std::unique_ptr<SseClient> open_stream(const std::string& token) {
    auto stream = std::make_unique<SseClient>(http_port(), "/api/v1/stream", bearer(token));
    if (stream->status() != 200)
        print_message("stream answered %d %s\n", stream->status(), stream->error_body().c_str());
    assert_int_equal(stream->status(), 200);
    return stream;
}

// The next `device` event about this device that satisfies `wanted`.
template <typename Wanted>
json::Ptr wait_device_event(SseClient& stream, const std::string& id, Wanted wanted,
                            std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        std::optional<SseEvent> event = stream.wait_for("device", "\"" + id + "\"", left);
        if (!event)
            break;
        json::Ptr device = parse(event->data);
        if (id == json_string_value(json_object_get(device.get(), "id")) && wanted(device.get()))
            return device;
    }
    return nullptr;
}

void the_first_event_is_a_snapshot_of_the_callers_devices(void**) {
    AppAccount owner = create_account(unique_id("sse-own"));
    AppAccount stranger = create_account(unique_id("sse-str"));
    AppAccount admin = create_account(unique_id("sse-adm"), "admin");
    std::string mine = unique_id("pi");
    std::string theirs = unique_id("pi");
    create_device(mine);
    create_device(theirs);
    give_device(mine, owner.username);
    give_device(theirs, stranger.username);

    auto stream = open_stream(owner.token);
    assert_true(stream->header("content-type").rfind("text/event-stream", 0) == 0);
    std::optional<SseEvent> first = stream->next(5s);
    assert_true(first.has_value());
    assert_string_equal(first->name.c_str(), "snapshot");
    assert_int_equal(stream->retry_ms(), 3000);
    json::Ptr snapshot = parse(first->data);
    json_t* device = listed(snapshot.get(), mine);
    assert_non_null(device);
    assert_null(listed(snapshot.get(), theirs));
    assert_string_equal(json_string_value(json_object_get(device, "kind")), "hydro-sensor");
    assert_string_equal(json_string_value(json_object_get(device, "owner")),
                        owner.username.c_str());
    assert_true(json_is_object(json_object_get(device, "values")));

    // Admins see every device.
    auto everything = open_stream(admin.token);
    std::optional<SseEvent> all = everything->next(5s);
    assert_true(all.has_value());
    json::Ptr fleet = parse(all->data);
    assert_non_null(listed(fleet.get(), mine));
    assert_non_null(listed(fleet.get(), theirs));
}

void a_published_reading_arrives_and_others_devices_never_do(void**) {
    AppAccount owner = create_account(unique_id("sse-rd"));
    AppAccount stranger = create_account(unique_id("sse-rs"));
    std::string mine = unique_id("pi");
    std::string theirs = unique_id("pi");
    std::string my_password = create_device(mine);
    std::string their_password = create_device(theirs);
    give_device(mine, owner.username);
    give_device(theirs, stranger.username);
    // Limits of the device's own, to show that they win over the kind's defaults.
    db().exec("INSERT INTO metric_thresholds (device_id, metric, normal_low, normal_high,"
              " warning_low, warning_high) VALUES ($1, 'tds', 0, 100, 0, 200)",
              {mine});

    auto stream = open_stream(owner.token);
    assert_true(stream->next(5s).has_value()); // the snapshot

    // The stranger's device reports first; by the time the owner's event arrives, the
    // stranger's has been fanned out too (same channel, earlier), so its absence means something.
    {
        MqttClient other(theirs, 5);
        assert_int_equal(other.connect(stack_env().mqtt_port, theirs, their_password), 0);
        assert_true(accepted(other.publish("hydro/" + theirs + "/reading", R"({"ph":7.25})")));
    }
    auto sent = std::chrono::steady_clock::now();
    MqttClient device(mine, 5);
    assert_int_equal(device.connect(stack_env().mqtt_port, mine, my_password), 0);
    assert_true(
        accepted(device.publish("hydro/" + mine + "/reading", R"({"ph":6.5,"tds":512.5})")));

    std::vector<std::string> seen;
    json::Ptr event;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!event && std::chrono::steady_clock::now() < deadline) {
        std::optional<SseEvent> next = stream->next(500ms);
        if (!next)
            continue;
        seen.push_back(next->data);
        if (next->name != "device")
            continue;
        json::Ptr device_state = parse(next->data);
        json_t* ph = json_object_get(json_object_get(device_state.get(), "values"), "ph");
        if (ph != nullptr)
            event = std::move(device_state);
    }
    assert_non_null(event.get());
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    print_message("reading reached the stream %.0f ms after the publish\n", seconds * 1000);
    assert_true(seconds < 3.0);

    json_t* values = json_object_get(event.get(), "values");
    json_t* ph = json_object_get(values, "ph");
    assert_true(json_number_value(json_object_get(ph, "value")) == 6.5);
    assert_non_null(json_string_value(json_object_get(ph, "at")));
    assert_string_equal(json_string_value(json_object_get(ph, "level")), "normal");
    json_t* tds = json_object_get(values, "tds");
    assert_true(json_number_value(json_object_get(tds, "value")) == 512.5);
    assert_string_equal(json_string_value(json_object_get(tds, "level")), "critical");
    // "online" is not asserted here: presence is written by another worker and may trail the
    // reading; presence_changes_arrive covers it.
    assert_non_null(json_string_value(json_object_get(event.get(), "lastSeenAt")));

    // A little longer for any straggler, then: nothing of the stranger's device, ever.
    while (std::optional<SseEvent> late = stream->next(1500ms))
        seen.push_back(late->data);
    for (const std::string& data : seen)
        assert_null(std::strstr(data.c_str(), theirs.c_str()));
}

void presence_changes_arrive(void**) {
    AppAccount owner = create_account(unique_id("sse-pr"));
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    give_device(id, owner.username);
    auto stream = open_stream(owner.token);
    json::Ptr snapshot = parse(stream->next(5s).value().data);
    assert_true(json_is_false(json_object_get(listed(snapshot.get(), id), "online")));

    auto is_online = [](json_t* device) { return json_is_true(json_object_get(device, "online")); };
    auto is_offline = [](json_t* device) {
        return json_is_false(json_object_get(device, "online"));
    };
    {
        MqttClient device(id, 5);
        assert_int_equal(device.connect(stack_env().mqtt_port, id, password), 0);
        assert_non_null(wait_device_event(*stream, id, is_online).get());
    }
    assert_non_null(wait_device_event(*stream, id, is_offline).get());
}

void tokens_are_required_and_may_come_as_a_query_parameter(void**) {
    SseClient anonymous(http_port(), "/api/v1/stream");
    assert_int_equal(anonymous.status(), 401);
    assert_non_null(std::strstr(anonymous.error_body().c_str(), "unauthorized"));

    SseClient forged(http_port(), "/api/v1/stream?access_token=not-a-real-token");
    assert_int_equal(forged.status(), 401);

    // What a browser's EventSource does: the token in the URL.
    AppAccount owner = create_account(unique_id("sse-q"));
    SseClient browser(http_port(), "/api/v1/stream?access_token=" + owner.token);
    assert_int_equal(browser.status(), 200);
    std::optional<SseEvent> first = browser.next(5s);
    assert_true(first.has_value());
    assert_string_equal(first->name.c_str(), "snapshot");
}

void streams_are_limited_per_user(void**) {
    AppAccount owner = create_account(unique_id("sse-lim"));
    std::vector<std::unique_ptr<SseClient>> open;
    for (int i = 0; i < 8; ++i) // http.max_streams_per_user
        open.push_back(open_stream(owner.token));
    SseClient ninth(http_port(), "/api/v1/stream", bearer(owner.token));
    assert_int_equal(ninth.status(), 429);
    assert_non_null(std::strstr(ninth.error_body().c_str(), "too_many_streams"));
    assert_false(ninth.header("retry-after").empty());

    HttpResult metrics = http_request(http_port(), "GET", "/metrics");
    assert_non_null(std::strstr(metrics.body.c_str(), "sarang_http_streams_open"));
    assert_non_null(std::strstr(metrics.body.c_str(), "sarang_http_stream_refused_total"));

    // A closed stream frees its place once the server notices (at the next ping at most).
    open.pop_back();
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (status != 200 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200ms);
        SseClient again(http_port(), "/api/v1/stream", bearer(owner.token));
        status = again.status();
    }
    assert_int_equal(status, 200);
}

void pings_keep_the_stream_alive_and_logout_ends_it(void**) {
    AppAccount owner = create_account(unique_id("sse-end"));
    auto stream = open_stream(owner.token);
    assert_true(stream->next(5s).has_value());
    assert_false(stream->next(2500ms).has_value()); // nothing happened: only comments
    assert_true(stream->comments() >= 1);

    assert_int_equal(api_post("/api/auth/logout", "", owner.token).status, 200);
    std::optional<SseEvent> end = stream->wait_for("end", "session_ended", 5s);
    assert_true(end.has_value());
    assert_true(stream->wait_closed(5s));
}

int sidecar_pid() {
    std::ifstream file(stack_env().config_path.substr(0, stack_env().config_path.rfind('/')) +
                       "/run/httpd.pid");
    int pid = 0;
    file >> pid;
    assert_true(pid > 0);
    return pid;
}

// utime + stime of the process, in clock ticks; -1 once it has exited (gone or a zombie).
long cpu_ticks(int pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    size_t after_name = text.rfind(')');
    if (after_name == std::string::npos)
        return -1;
    std::istringstream fields(text.substr(after_name + 2));
    std::string state;
    fields >> state;
    if (state == "Z")
        return -1;
    std::string skip;
    for (int i = 0; i < 10; ++i) // ppid .. cmajflt
        fields >> skip;
    long user = 0, system = 0;
    fields >> user >> system;
    return user + system;
}

void idle_streams_do_not_spin(void**) {
    AppAccount owner = create_account(unique_id("sse-idle"));
    std::vector<std::unique_ptr<SseClient>> open;
    for (int i = 0; i < 6; ++i) {
        open.push_back(open_stream(owner.token));
        assert_true(open.back()->next(5s).has_value());
    }
    int pid = sidecar_pid();
    long before = cpu_ticks(pid);
    std::this_thread::sleep_for(3s);
    long used = cpu_ticks(pid) - before;
    print_message("sidecar CPU over 3 s with 6 idle streams: %ld ticks of %ld per second\n", used,
                  sysconf(_SC_CLK_TCK));
    // A content reader that spins would burn a whole core: 3 s. Pings and session checks: ~0.
    assert_true(used < sysconf(_SC_CLK_TCK) / 2);
}

// Last: it stops the sidecar.
void shutdown_ends_open_streams_cleanly(void**) {
    AppAccount owner = create_account(unique_id("sse-stop"));
    auto stream = open_stream(owner.token);
    assert_true(stream->next(5s).has_value());
    int pid = sidecar_pid();
    auto asked = std::chrono::steady_clock::now();
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_true(stream->wait_closed(5s)); // the terminating chunk, not a reset
    while (cpu_ticks(pid) >= 0 && std::chrono::steady_clock::now() < asked + 5s)
        std::this_thread::sleep_for(20ms);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
    print_message("sidecar exited %.0f ms after SIGTERM with a stream open\n", seconds * 1000);
    assert_true(cpu_ticks(pid) < 0);
    assert_true(seconds < 3.0); // far below the 10 s drain timeout
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_first_event_is_a_snapshot_of_the_callers_devices),
        cmocka_unit_test(a_published_reading_arrives_and_others_devices_never_do),
        cmocka_unit_test(presence_changes_arrive),
        cmocka_unit_test(tokens_are_required_and_may_come_as_a_query_parameter),
        cmocka_unit_test(streams_are_limited_per_user),
        cmocka_unit_test(pings_keep_the_stream_alive_and_logout_ends_it),
        cmocka_unit_test(idle_streams_do_not_spin),
        cmocka_unit_test(shutdown_ends_open_streams_cleanly),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
