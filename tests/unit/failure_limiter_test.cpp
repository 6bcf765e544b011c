#include "failure_limiter.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::access;
using namespace std::chrono_literals;

namespace {

using Clock = FailureLimiter::Clock;

void a_key_is_exhausted_after_its_burst_and_refills_over_time(void**) {
    FailureLimiter limiter(3, 10s, 60s, 100);
    Clock::time_point t{};
    assert_false(limiter.exhausted("10.0.0.1", t)); // unknown keys are never exhausted
    for (int i = 0; i < 3; ++i) {
        assert_false(limiter.exhausted("10.0.0.1", t));
        limiter.failed("10.0.0.1", t);
    }
    assert_true(limiter.exhausted("10.0.0.1", t));
    assert_false(limiter.exhausted("10.0.0.2", t)); // other keys untouched
    assert_true(limiter.exhausted("10.0.0.1", t + 9s));
    assert_false(limiter.exhausted("10.0.0.1", t + 10s)); // one failure earned back
    limiter.failed("10.0.0.1", t + 10s);
    assert_true(limiter.exhausted("10.0.0.1", t + 10s));
}

void logging_is_folded_per_interval(void**) {
    FailureLimiter limiter(3, 10s, 60s, 100);
    Clock::time_point t = Clock::time_point{} + 1h;
    std::optional<std::uint64_t> first = limiter.log_due("pi-1", t);
    assert_true(first.has_value());
    assert_int_equal(*first, 0);
    for (int i = 1; i <= 5; ++i)
        assert_false(limiter.log_due("pi-1", t + std::chrono::seconds(i)).has_value());
    std::optional<std::uint64_t> next = limiter.log_due("pi-1", t + 61s);
    assert_true(next.has_value());
    assert_int_equal(*next, 5);
}

void memory_stays_bounded(void**) {
    FailureLimiter limiter(3, 10s, 60s, 50);
    Clock::time_point t{};
    for (int i = 0; i < 1000; ++i)
        limiter.failed("addr-" + std::to_string(i), t);
    assert_true(limiter.size() <= 50);
    limiter.prune(t + 1h);
    assert_int_equal(limiter.size(), 0);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_key_is_exhausted_after_its_burst_and_refills_over_time),
        cmocka_unit_test(logging_is_folded_per_interval),
        cmocka_unit_test(memory_stays_bounded),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
