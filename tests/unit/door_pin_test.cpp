// The door lock's pure parts (core door_pin.hpp): the lockout arithmetic both paths apply, and
// the keypad's attempt and the verdict payloads.
#include "sarang/door_pin.hpp"

#include <string>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::door;
using namespace std::chrono_literals;

namespace {

const WallTime start = WallTime(std::chrono::seconds(1'800'000'000));

void the_third_attempt_in_a_row_holds_the_lock(void**) {
    Rule rule;
    KeyState state;
    for (int expected = 1; expected <= 3; ++expected) {
        Reservation r = reserve(state, rule, start + 1s);
        assert_true(r.allowed);
        assert_int_equal(r.attempt, expected);
        state = r.next;
    }
    // The third holds the lock while it is verified: a racing fourth is refused.
    assert_true(state.locked_until == start + 31s);
    Reservation fourth = reserve(state, rule, start + 2s);
    assert_false(fourth.allowed);
    assert_true(fourth.until == start + 31s);
}

// Issue #21 item 4: consecutive lockouts grow as logins' do (30 s, 60 s, ... 900 s), so a
// guesser gets about 100 keypad tries a day instead of 8,600.
void consecutive_lockouts_double_up_to_fifteen_minutes(void**) {
    Rule rule;
    KeyState state;
    WallTime now = start;
    for (int i = 0; i < 2; ++i)
        state = reserve(state, rule, now).next;
    const long long expected[] = {30, 60, 120, 240, 480, 900, 900, 900};
    for (long long seconds : expected) {
        Reservation r = reserve(state, rule, now);
        assert_true(r.allowed);
        assert_int_equal(seconds_left(r.next.locked_until, now), seconds);
        assert_true(*lock_after_failure(r.attempt, rule, now) == r.next.locked_until);
        assert_false(reserve(r.next, rule, r.next.locked_until - 1s).allowed);
        state = r.next;
        now = r.next.locked_until; // the guesser waits the lock out, then tries again
    }
}

void an_hour_without_attempts_forgets_them(void**) {
    Rule rule;
    KeyState state = reserve({}, rule, start).next;
    state = reserve(state, rule, start + 10s).next;
    assert_int_equal(state.failures, 2);
    Reservation soon = reserve(state, rule, start + 10min);
    assert_int_equal(soon.attempt, 3); // a quiet 30 s is no longer enough
    Reservation r = reserve(state, rule, start + 10s + 1h);
    assert_true(r.allowed);
    assert_int_equal(r.attempt, 1);
    assert_true(r.next.locked_until <= start + 10s + 1h);
}

void only_the_lock_reaching_failures_lock(void**) {
    Rule rule;
    assert_false(lock_after_failure(1, rule, start).has_value());
    assert_false(lock_after_failure(2, rule, start).has_value());
    assert_true(*lock_after_failure(3, rule, start) == start + 30s);
    assert_true(*lock_after_failure(4, rule, start) == start + 60s);
    assert_true(*lock_after_failure(40, rule, start) == start + 900s);
    assert_int_equal(remaining_attempts(1, rule), 2);
    assert_int_equal(remaining_attempts(2, rule), 1);
    assert_int_equal(remaining_attempts(3, rule), 0);
    assert_int_equal(remaining_attempts(7, rule), 0);
}

void seconds_left_rounds_up(void**) {
    assert_int_equal(seconds_left(start + 30s, start), 30);
    assert_int_equal(seconds_left(start + 1500ms, start), 2);
    assert_int_equal(seconds_left(start + 1ms, start), 1);
    assert_int_equal(seconds_left(start, start), 0);
    assert_int_equal(seconds_left(start - 5s, start), 0);
}

void attempts_are_parsed_and_malformed_ones_named(void**) {
    std::string problem;
    auto attempt = parse_attempt(R"({"pin":"482913","attemptId":"k-17"})", problem);
    assert_true(attempt.has_value());
    assert_string_equal(attempt->pin.c_str(), "482913");
    assert_string_equal(attempt->attempt_id.c_str(), "k-17");
    auto bare = parse_attempt(R"({"pin":"1234"})", problem);
    assert_true(bare.has_value());
    assert_true(bare->attempt_id.empty());
    const char* bad[] = {
        "",
        "not json",
        "[]",
        R"({"pin":1234})",
        R"({"pin":""})",
        R"({"attemptId":"a"})",
        R"({"pin":"1234","attemptId":7})",
        R"({"pin":"1234","attemptId":"has space"})",
    };
    for (const char* payload : bad) {
        problem.clear();
        assert_false(parse_attempt(payload, problem).has_value());
        assert_false(problem.empty());
        // A reason never repeats the PIN.
        assert_true(problem.find("1234") == std::string::npos);
    }
    assert_false(parse_attempt(std::string(2000, ' '), problem).has_value());
}

void verdicts_and_unlocks_carry_no_pin(void**) {
    Verdict ok{"k-1", true, std::nullopt, std::nullopt, 0, ""};
    assert_string_equal(verdict_json(ok).c_str(), R"({"attemptId":"k-1","ok":true})");
    Verdict wrong{"k-2", false, 1, std::nullopt, 0, "invalid_pin"};
    assert_string_equal(verdict_json(wrong).c_str(),
                        R"({"attemptId":"k-2","ok":false,"remainingAttempts":1,)"
                        R"("error":"invalid_pin"})");
    Verdict locked{"", false,       0, WallTime(std::chrono::milliseconds(1763041530000)),
                   25, "locked_out"};
    assert_string_equal(verdict_json(locked).c_str(),
                        R"({"attemptId":null,"ok":false,"remainingAttempts":0,)"
                        R"("lockoutUntil":"2025-11-13T13:45:30.000Z","remainingSeconds":25,)"
                        R"("error":"locked_out"})");
    assert_string_equal(unlock_json("keypad").c_str(), R"({"action":"unlock","method":"keypad"})");
}

void a_locks_own_alert_keeps_the_seeds_fields(void**) {
    assert_string_equal(lock_alert_data(R"({"attempts":5,"lockout":true,"x":"y"})")->c_str(),
                        R"({"attempts":5,"lockout":true,"source":"lock"})");
    assert_string_equal(lock_alert_data(R"({"attempts":"5","lockout":1})")->c_str(),
                        R"({"source":"lock"})");
    assert_false(lock_alert_data("[1]").has_value());
    assert_false(lock_alert_data("nope").has_value());
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_third_attempt_in_a_row_holds_the_lock),
        cmocka_unit_test(consecutive_lockouts_double_up_to_fifteen_minutes),
        cmocka_unit_test(an_hour_without_attempts_forgets_them),
        cmocka_unit_test(only_the_lock_reaching_failures_lock),
        cmocka_unit_test(seconds_left_rounds_up),
        cmocka_unit_test(attempts_are_parsed_and_malformed_ones_named),
        cmocka_unit_test(verdicts_and_unlocks_carry_no_pin),
        cmocka_unit_test(a_locks_own_alert_keeps_the_seeds_fields),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
