#include "sarang/lockout.hpp"

#include "cmocka.hpp"

using namespace sarang;
using namespace std::chrono_literals;

namespace {

const WallTime start = WallTime(std::chrono::seconds(1'800'000'000));

LockoutState fail_times(LockoutState state, const LockoutRule& rule, int times, WallTime at) {
    for (int i = 0; i < times; ++i)
        state = after_failure(state, rule, at);
    return state;
}

void the_seeds_rule_locks_30s_on_the_third_failure(void**) {
    LockoutRule rule; // 3 failures, 30 s base
    LockoutState state = fail_times({}, rule, 2, start);
    assert_false(lockout_remaining(state, start).has_value());
    assert_int_equal(attempts_before_lockout(state, rule, start), 1);
    state = after_failure(state, rule, start);
    assert_int_equal(lockout_remaining(state, start)->count(), 30);
    assert_int_equal(attempts_before_lockout(state, rule, start), 0);
    assert_false(lockout_remaining(state, start + 30s).has_value());
    assert_int_equal(lockout_remaining(state, start + 29s)->count(), 1);
}

void each_further_failure_doubles_up_to_the_cap(void**) {
    LockoutRule rule;
    rule.max = 100s;
    LockoutState state = fail_times({}, rule, 3, start);
    state = after_failure(state, rule, start + 31s); // 4th: 60 s
    assert_int_equal(lockout_remaining(state, start + 31s)->count(), 60);
    state = after_failure(state, rule, start + 100s); // 5th: 120 s, capped at 100
    assert_int_equal(lockout_remaining(state, start + 100s)->count(), 100);
    // Hundreds of failures never overflow the doubling.
    state = fail_times(state, rule, 500, start + 300s);
    assert_int_equal(lockout_remaining(state, start + 300s)->count(), 100);
}

void a_quiet_hour_forgets_the_count(void**) {
    LockoutRule rule;
    LockoutState state = fail_times({}, rule, 2, start);
    state = after_failure(state, rule, start + 3601s);
    assert_int_equal(state.failures, 1);
    assert_false(lockout_remaining(state, start + 3601s).has_value());
    assert_int_equal(attempts_before_lockout(state, rule, start + 3601s), 2);
}

void remaining_time_rounds_up(void**) {
    LockoutState state;
    state.locked_until = start + 1500ms;
    assert_int_equal(lockout_remaining(state, start)->count(), 2);
    assert_int_equal(lockout_remaining(state, start + 1499ms)->count(), 1);
    assert_false(lockout_remaining(state, start + 1500ms).has_value());
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_seeds_rule_locks_30s_on_the_third_failure),
        cmocka_unit_test(each_further_failure_doubles_up_to_the_cap),
        cmocka_unit_test(a_quiet_hour_forgets_the_count),
        cmocka_unit_test(remaining_time_rounds_up),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
