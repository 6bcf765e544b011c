// The door lock against the real stack (docs/doorlock.md): keypad attempts checked by the
// broker's doorlock plugin, remote unlock checked by the sidecar, one lockout shared by both,
// its audit rows and security alert, and the PIN never reaching the lock or a log.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/door_pin_store.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

const std::string door_pin = "482913";
const std::string wrong_pin = "719364";

long long count(const std::string& sql, const pg::Params& params) {
    return db().exec(sql, params).integer(0, 0);
}

struct Lock {
    AppAccount owner;
    std::string id, prefix;
    std::unique_ptr<MqttClient> client;
};

// A door lock owned by a fresh account whose door PIN is door_pin, connected and listening on
// every topic it may receive.
Lock make_lock(const std::string& stem) {
    Lock lock{create_account(unique_id(stem + "-user")), unique_id(stem), "", nullptr};
    std::string credential =
        create_device(lock.id, "door-lock", "--id " + lock.id + " --owner " + lock.owner.username);
    HttpResult set =
        api_post("/api/auth/change-door-pin",
                 R"({"currentPin":")" + lock.owner.pin + R"(","newPin":")" + door_pin + R"("})",
                 lock.owner.token);
    assert_int_equal(set.status, 200);
    lock.prefix = std::string(
        db().exec("SELECT topic_prefix FROM devices WHERE id = $1", {lock.id}).text(0, 0));
    lock.client = std::make_unique<MqttClient>(lock.id, 5);
    assert_int_equal(lock.client->connect(stack_env().mqtt_port, lock.id, credential), 0);
    for (const char* sub : {"/control", "/settings", "/pin/verdict"})
        assert_int_equal(lock.client->subscribe(lock.prefix + sub), 1);
    return lock;
}

json::Ptr parsed(const std::string& text) {
    std::string error;
    json::Ptr value = json::parse(text, error);
    assert_non_null(value.get());
    return value;
}

// Publishes a keypad attempt and returns the verdict the lock receives.
json::Ptr keypad(Lock& lock, const std::string& pin, const std::string& attempt_id) {
    assert_true(accepted(
        lock.client->publish(lock.prefix + "/pin/attempt",
                             R"({"pin":")" + pin + R"(","attemptId":")" + attempt_id + R"("})")));
    std::optional<std::string> verdict =
        lock.client->next_payload(lock.prefix + "/pin/verdict", 15s);
    assert_true(verdict.has_value());
    json::Ptr body = parsed(*verdict);
    assert_string_equal(json_string_value(json_object_get(body.get(), "attemptId")),
                        attempt_id.c_str());
    return body;
}

HttpResult remote(const Lock& lock, const std::string& pin) {
    return api_post("/api/device/control/door", R"({"pin":")" + pin + R"("})", lock.owner.token);
}

void expect_unlock(Lock& lock, const char* method) {
    std::optional<std::string> control = lock.client->next_payload(lock.prefix + "/control", 15s);
    assert_true(control.has_value());
    json::Ptr body = parsed(*control);
    assert_string_equal(json_string_value(json_object_get(body.get(), "action")), "unlock");
    assert_string_equal(json_string_value(json_object_get(body.get(), "method")), method);
    assert_null(json_object_get(body.get(), "pin"));
}

long long audits(const Lock& lock, const char* action, const char* outcome) {
    return count("SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = $2"
                 " AND detail->>'deviceId' = $3",
                 {action, outcome, lock.id});
}

// Moves the lock's and its owner's lockout into the past, as if it had been served; the count
// of attempts stays.
void end_lockout(const Lock& lock) {
    db().exec("UPDATE door_pin_lockouts SET locked_until = now() - interval '1 second'"
              " WHERE (scope = 'device' AND subject = $1) OR (scope = 'account' AND subject ="
              " (SELECT owner_id::text FROM devices WHERE id = $1))",
              {lock.id});
}

void expect_locked_for(const json::Ptr& verdict, long long seconds) {
    assert_true(json_is_false(json_object_get(verdict.get(), "ok")));
    assert_string_equal(json_string_value(json_object_get(verdict.get(), "error")), "locked_out");
    long long remaining = json_integer_value(json_object_get(verdict.get(), "remainingSeconds"));
    if (remaining <= seconds - 5 || remaining > seconds)
        fail_msg("locked for %llds, expected about %llds", remaining, seconds);
}

void the_right_keypad_pin_unlocks(void**) {
    Lock lock = make_lock("lock-ok");
    json::Ptr verdict = keypad(lock, door_pin, "k-1");
    assert_true(json_is_true(json_object_get(verdict.get(), "ok")));
    expect_unlock(lock, "keypad");
    assert_int_equal(audits(lock, "door_keypad", "success"), 1);
    // A QoS 1 redelivery of the same attempt gets the same verdict and no second unlock.
    json::Ptr again = keypad(lock, door_pin, "k-1");
    assert_true(json_is_true(json_object_get(again.get(), "ok")));
    assert_false(lock.client->next_payload(lock.prefix + "/control", 1s).has_value());
    assert_int_equal(audits(lock, "door_keypad", "success"), 1);
}

void a_wrong_keypad_pin_is_refused(void**) {
    Lock lock = make_lock("lock-bad");
    json::Ptr verdict = keypad(lock, wrong_pin, "k-1");
    assert_true(json_is_false(json_object_get(verdict.get(), "ok")));
    assert_string_equal(json_string_value(json_object_get(verdict.get(), "error")), "invalid_pin");
    assert_int_equal(json_integer_value(json_object_get(verdict.get(), "remainingAttempts")), 2);
    assert_false(lock.client->next_payload(lock.prefix + "/control", 1s).has_value());
    assert_int_equal(audits(lock, "door_keypad", "failure"), 1);
    // A malformed attempt is answered and counts nothing.
    assert_true(accepted(lock.client->publish(lock.prefix + "/pin/attempt", "not json")));
    std::optional<std::string> malformed =
        lock.client->next_payload(lock.prefix + "/pin/verdict", 15s);
    assert_true(malformed.has_value());
    assert_true(malformed->find("\"malformed\"") != std::string::npos);
    json::Ptr right = keypad(lock, door_pin, "k-2");
    assert_true(json_is_true(json_object_get(right.get(), "ok")));
    expect_unlock(lock, "keypad");
}

// Issue #21 item 2: poisoned attempts (not UTF-8, near the size limit, wrong JSON types) are
// each answered and cost nothing else: the good attempt after them unlocks.
void poisoned_attempts_never_stop_the_checker(void**) {
    Lock lock = make_lock("lock-poison");
    for (const std::string& poison :
         {std::string("\xFF\xFE\xFD\xFC"),
          R"({"pin":"1234","attemptId":")" + std::string(900, 'a') + "\xC3\"}",
          std::string(R"({"pin":1234,"attemptId":["x"]})")}) {
        assert_true(accepted(lock.client->publish(lock.prefix + "/pin/attempt", poison)));
        std::optional<std::string> verdict =
            lock.client->next_payload(lock.prefix + "/pin/verdict", 15s);
        assert_true(verdict.has_value());
        assert_true(verdict->find("\"ok\":false") != std::string::npos);
    }
    json::Ptr right = keypad(lock, door_pin, "k-after-poison");
    assert_true(json_is_true(json_object_get(right.get(), "ok")));
    expect_unlock(lock, "keypad");

    // Issue #18 item 4: the owner sees the three refused attempts; an attempt carries a PIN,
    // so no sample of it is kept.
    Rejections rejected = wait_rejections(lock.id, lock.owner.token, 3);
    assert_int_equal(rejected.count, 3);
    assert_text_equal(rejected.last_reason, "malformed_attempt");
    assert_text_equal(rejected.last_sample, "");
}

void keypad_and_remote_failures_share_one_lockout(void**) {
    Lock lock = make_lock("lock-shared");
    keypad(lock, wrong_pin, "k-1");
    keypad(lock, wrong_pin, "k-2");
    HttpResult third = remote(lock, wrong_pin);
    assert_int_equal(third.status, 429);
    assert_false(json_field(third.body, "lockoutUntil").empty());
    long long remaining = json_integer_field(third.body, "remainingSeconds");
    assert_true(remaining > 25 && remaining <= 30);
    assert_false(third.header("retry-after").empty());
    // Both paths refuse even the right PIN now, without checking it.
    HttpResult right_remote = remote(lock, door_pin);
    assert_int_equal(right_remote.status, 429);
    json::Ptr keypad_verdict = keypad(lock, door_pin, "k-3");
    assert_true(json_is_false(json_object_get(keypad_verdict.get(), "ok")));
    assert_string_equal(json_string_value(json_object_get(keypad_verdict.get(), "error")),
                        "locked_out");
    assert_true(json_integer_value(json_object_get(keypad_verdict.get(), "remainingSeconds")) > 0);
    assert_non_null(json_object_get(keypad_verdict.get(), "lockoutUntil"));
    assert_false(lock.client->next_payload(lock.prefix + "/control", 1s).has_value());
    // Audited, and one security alert for the owner and in the lock's alert history.
    assert_int_equal(audits(lock, "door_keypad", "failure"), 2);
    assert_int_equal(audits(lock, "door_remote", "failure"), 1);
    assert_int_equal(audits(lock, "door_remote", "locked"), 1);
    assert_int_equal(audits(lock, "door_keypad", "locked"), 1);
    assert_int_equal(count("SELECT count(*) FROM notifications WHERE kind = 'lock_alert'"
                           " AND device_id = $1",
                           {lock.id}),
                     1);
    assert_int_equal(count("SELECT count(*) FROM device_events WHERE device_id = $1"
                           " AND subtopic = 'alert' AND payload->>'lockout' = 'true'",
                           {lock.id}),
                     1);
    // The account is locked too: for another lock of the same owner as well.
    // When the lockout has run out (moved into the past here), the right PIN works again.
    end_lockout(lock);
    HttpResult unlocked = remote(lock, door_pin);
    assert_int_equal(unlocked.status, 200);
    assert_string_equal(json_field(unlocked.body, "message").c_str(), "Door unlock command sent");
    expect_unlock(lock, "remote");
}

// Issue #21 item 4: the lockout escalates as logins' does, whichever path the guesses come by:
// each failure after a served lockout locks again, for twice as long.
void consecutive_lockouts_grow_across_keypad_and_remote(void**) {
    Lock lock = make_lock("lock-grow");
    keypad(lock, wrong_pin, "k-1");
    keypad(lock, wrong_pin, "k-2");
    expect_locked_for(keypad(lock, wrong_pin, "k-3"), 30);
    end_lockout(lock);
    HttpResult second = remote(lock, wrong_pin);
    assert_int_equal(second.status, 429);
    long long remaining = json_integer_field(second.body, "remainingSeconds");
    if (remaining <= 55 || remaining > 60)
        fail_msg("remote failure locked for %llds, expected about 60s", remaining);
    end_lockout(lock);
    expect_locked_for(keypad(lock, wrong_pin, "k-4"), 120);
    assert_int_equal(count("SELECT count(*) FROM notifications WHERE kind = 'lock_alert'"
                           " AND device_id = $1",
                           {lock.id}),
                     3);
    // Once served, the right PIN opens and forgets the count.
    end_lockout(lock);
    assert_true(json_is_true(json_object_get(keypad(lock, door_pin, "k-5").get(), "ok")));
    expect_unlock(lock, "keypad");
    assert_int_equal(count("SELECT count(*) FROM door_pin_lockouts WHERE subject = $1", {lock.id}),
                     0);
}

void a_burst_of_wrong_pins_never_exceeds_the_limit(void**) {
    Lock lock = make_lock("lock-burst");
    // One keypad failure first: the lockout rows exist, so the burst races on updating them
    // (a read-then-write would lose counts here), not on creating them.
    keypad(lock, wrong_pin, "k-1");
    constexpr int burst = 20;
    std::vector<int> statuses(burst);
    std::vector<std::thread> threads;
    for (int i = 0; i < burst; ++i)
        threads.emplace_back([&, i] { statuses[i] = remote(lock, wrong_pin).status; });
    for (std::thread& thread : threads)
        thread.join();
    int refused = 0, wrong = 0;
    for (int status : statuses) {
        if (status == 401)
            ++wrong;
        else if (status == 429)
            ++refused;
        else
            fail_msg("unexpected status %d", status);
    }
    print_message("burst of %d: %d answered 401, %d answered 429\n", burst, wrong, refused);
    assert_true(wrong <= 1);
    // Exactly three PINs were verified and counted (the keypad's and two of the burst); every
    // other one was refused unverified.
    assert_int_equal(audits(lock, "door_remote", "failure"), 2);
    assert_int_equal(audits(lock, "door_remote", "locked"), burst - 2);
    assert_int_equal(count("SELECT count(*) FROM notifications WHERE kind = 'lock_alert'"
                           " AND device_id = $1",
                           {lock.id}),
                     1);
}

// The store itself, without HTTP's scheduling in between: 20 connections admit at the same
// instant on one lock and account; exactly 3 get to verify a PIN.
void concurrent_admissions_never_exceed_the_limit(void**) {
    Lock lock = make_lock("lock-race");
    long long owner = count("SELECT owner_id FROM devices WHERE id = $1", {lock.id});
    door::Keys keys{lock.id, owner};
    // One attempt settled first, so the rows exist and the race is on updating them.
    {
        pg::Connection connection(stack_env().config().string("db.dsn"), "doorlock-race");
        door::Admission first = door::admit(connection, keys, door::Rule{});
        assert_true(first.allowed);
        door::settle(connection, keys, first.attempt, false, door::Rule{});
    }
    constexpr int racers = 20;
    std::vector<std::unique_ptr<pg::Connection>> connections;
    for (int i = 0; i < racers; ++i) {
        connections.push_back(std::make_unique<pg::Connection>(
            stack_env().config().string("db.dsn"), "doorlock-race"));
        connections.back()->ensure_connected();
    }
    std::barrier start(racers);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < racers; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            if (door::admit(*connections[i], keys, door::Rule{}).allowed)
                ++allowed;
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    print_message("%d concurrent admissions after one failure: %d allowed\n", racers,
                  allowed.load());
    assert_int_equal(allowed.load(), 2);
    assert_int_equal(count("SELECT attempts FROM door_pin_lockouts WHERE scope = 'device'"
                           " AND subject = $1",
                           {lock.id}),
                     3);
}

// The seed's backend sent a security alert for the lock's own alert topic; so does Sarang, at
// most once a minute per lock.
void the_locks_own_alert_notifies_its_owner(void**) {
    Lock lock = make_lock("lock-alert");
    // Both alerts within one minute of the clock: the dedupe key carries the minute.
    while (std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
                   .count() %
               60 >=
           55)
        std::this_thread::sleep_for(200ms);
    for (int i = 0; i < 2; ++i)
        assert_true(accepted(
            lock.client->publish(lock.prefix + "/alert", R"({"attempts":5,"lockout":true})")));
    const std::string sql = "SELECT count(*) FROM notifications WHERE kind = 'lock_alert'"
                            " AND device_id = $1 AND data->>'source' = 'lock'"
                            " AND (data->>'attempts')::int = 5";
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (count(sql, {lock.id}) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    std::this_thread::sleep_for(500ms); // room for a second one, which must not come
    assert_int_equal(count(sql, {lock.id}), 1);
}

void another_users_lock_is_not_found(void**) {
    Lock lock = make_lock("lock-mine");
    AppAccount stranger = create_account(unique_id("lock-stranger"));
    HttpResult named = api_post("/api/device/control/door",
                                R"({"pin":")" + door_pin + R"(","deviceId":")" + lock.id + R"("})",
                                stranger.token);
    assert_int_equal(named.status, 404);
    assert_int_equal(
        api_post("/api/device/control/door", R"({"pin":"1234"})", stranger.token).status, 404);
    assert_int_equal(
        api_post("/api/device/control/door", R"({"pin":"1234"})", "not-a-session").status, 401);
    assert_int_equal(api_post("/api/device/control/door", "{}", lock.owner.token).status, 422);
    // Nothing was counted against the owner's lock.
    assert_int_equal(audits(lock, "door_remote", "failure"), 0);
}

// Runs last: every PIN the tests used must be absent from what the lock and its owner's app
// received and from the stack's logs, audit rows and commands.
void the_pin_never_reaches_the_lock_or_a_log(void**) {
    Lock lock = make_lock("lock-leak");
    // The owner's app session reads the lock's whole prefix: it sees that attempts happen,
    // never what was typed.
    MqttClient app("app:" + lock.owner.username, 5);
    assert_int_equal(app.connect(stack_env().mqtt_port, lock.owner.username, lock.owner.token), 0);
    assert_int_equal(app.subscribe(lock.prefix + "/#"), 1);
    keypad(lock, door_pin, "k-1");
    keypad(lock, wrong_pin, "k-2");
    assert_int_equal(remote(lock, door_pin).status, 200);
    expect_unlock(lock, "keypad");
    expect_unlock(lock, "remote");
    for (const char* topic : {"/control", "/settings", "/pin/verdict"}) {
        for (const std::string& payload : lock.client->payloads(lock.prefix + topic)) {
            assert_true(payload.find(door_pin) == std::string::npos);
            assert_true(payload.find(wrong_pin) == std::string::npos);
        }
    }
    assert_true(app.wait_message_count(lock.prefix + "/pin/attempt", 2, 10s));
    for (const std::string& payload : app.payloads(lock.prefix + "/pin/attempt"))
        assert_string_equal(payload.c_str(), R"({"pin":"redacted"})");
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE detail::text LIKE $1"
                           " OR detail::text LIKE $2",
                           {"%" + door_pin + "%", "%" + wrong_pin + "%"}),
                     0);
    assert_int_equal(count("SELECT count(*) FROM commands WHERE payload::text LIKE $1"
                           " OR payload::text LIKE $2",
                           {"%" + door_pin + "%", "%" + wrong_pin + "%"}),
                     0);
    std::filesystem::path logs = std::filesystem::path(std::getenv("SARANG_TEST_STATE")) / "log";
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(logs)) {
        std::ifstream in(entry.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        assert_true(text.find(door_pin) == std::string::npos);
        assert_true(text.find(wrong_pin) == std::string::npos);
        ++files;
    }
    assert_true(files > 0);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_right_keypad_pin_unlocks),
        cmocka_unit_test(a_wrong_keypad_pin_is_refused),
        cmocka_unit_test(poisoned_attempts_never_stop_the_checker),
        cmocka_unit_test(keypad_and_remote_failures_share_one_lockout),
        cmocka_unit_test(consecutive_lockouts_grow_across_keypad_and_remote),
        cmocka_unit_test(a_burst_of_wrong_pins_never_exceeds_the_limit),
        cmocka_unit_test(concurrent_admissions_never_exceed_the_limit),
        cmocka_unit_test(the_locks_own_alert_notifies_its_owner),
        cmocka_unit_test(another_users_lock_is_not_found),
        cmocka_unit_test(the_pin_never_reaches_the_lock_or_a_log),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
