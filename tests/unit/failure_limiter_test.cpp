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

// At the key limit a prune that frees only a little would rescan every key on each new one; the
// limiter forgets instead, and inserts after that are cheap again.
void a_full_limiter_that_cannot_prune_forgets_at_once(void**) {
    FailureLimiter limiter(1, 10s, 60s, 16);
    Clock::time_point t = Clock::time_point{} + 1h; // past the log interval of never-logged keys
    for (int i = 0; i < 16; ++i)
        limiter.failed("busy-" + std::to_string(i), t); // all exhausted: nothing to prune
    assert_int_equal(limiter.size(), 16);
    limiter.failed("busy-0", t + 9s); // a known key is updated, nothing is dropped
    assert_int_equal(limiter.size(), 16);
    // Fifteen of sixteen refilled: the prune frees enough, the exhausted one is kept.
    limiter.failed("busy-0", t + 19s);
    limiter.failed("new-1", t + 19s);
    assert_int_equal(limiter.size(), 2);
    assert_true(limiter.exhausted("busy-0", t + 19s));
    // Fifteen active keys and one refilled: a prune would free one slot and the next new key
    // would scan all sixteen again, so the limiter forgets instead.
    for (int i = 0; i < 14; ++i)
        limiter.failed("more-" + std::to_string(i), t + 100s);
    limiter.failed("busy-0", t + 100s);
    assert_int_equal(limiter.size(), 16); // new-1 (failed at t + 19 s) has refilled by now
    limiter.failed("flood", t + 100s);
    assert_int_equal(limiter.size(), 1);
    assert_false(limiter.exhausted("busy-0", t + 100s));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_key_is_exhausted_after_its_burst_and_refills_over_time),
        cmocka_unit_test(logging_is_folded_per_interval),
        cmocka_unit_test(memory_stays_bounded),
        cmocka_unit_test(a_full_limiter_that_cannot_prune_forgets_at_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
