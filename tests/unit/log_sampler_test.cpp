#include "sarang/log_sampler.hpp"

#include <string>
#include <vector>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace std::chrono_literals;

namespace {

using Clock = LogSampler::Clock;

void the_first_is_logged_then_one_line_per_interval_with_the_folded_count(void**) {
    LogSampler sampler(60s, 100);
    Clock::time_point t = Clock::time_point{} + 1h;
    std::optional<std::uint64_t> first = sampler.due("pi-1", "bad_timestamp", t);
    assert_true(first.has_value());
    assert_int_equal(*first, 0);
    for (int i = 1; i <= 1000; ++i)
        assert_false(
            sampler.due("pi-1", "bad_timestamp", t + std::chrono::milliseconds(i)).has_value());
    // Another reason and another device are keys of their own.
    assert_true(sampler.due("pi-1", "not_json", t + 1s).has_value());
    assert_true(sampler.due("pi-2", "bad_timestamp", t + 1s).has_value());
    std::optional<std::uint64_t> next = sampler.due("pi-1", "bad_timestamp", t + 60s);
    assert_true(next.has_value());
    assert_int_equal(*next, 1000);
    assert_false(sampler.due("pi-1", "bad_timestamp", t + 61s).has_value());
}

void flush_reports_a_flood_that_stopped(void**) {
    LogSampler sampler(60s, 100);
    Clock::time_point t = Clock::time_point{} + 1h;
    for (int i = 0; i < 11; ++i)
        sampler.due("pi-1", "bad_field", t + std::chrono::seconds(i));
    std::vector<std::string> lines;
    auto collect = [&](const std::string& device, const std::string& reason, std::uint64_t n) {
        lines.push_back(device + "/" + reason + "/" + std::to_string(n));
    };
    sampler.flush(collect, t + 30s); // interval not over
    assert_int_equal(lines.size(), 0);
    sampler.flush(collect, t + 60s);
    assert_int_equal(lines.size(), 1);
    assert_string_equal(lines[0].c_str(), "pi-1/bad_field/10");
    sampler.flush(collect, t + 200s); // nothing folded since
    assert_int_equal(lines.size(), 1);
}

void memory_is_bounded_by_max_keys(void**) {
    LogSampler sampler(60s, 64);
    Clock::time_point t = Clock::time_point{} + 1h;
    for (int i = 0; i < 10000; ++i)
        sampler.due("device-" + std::to_string(i), "unknown_device", t);
    assert_true(sampler.size() <= 64);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_first_is_logged_then_one_line_per_interval_with_the_folded_count),
        cmocka_unit_test(flush_reports_a_flood_that_stopped),
        cmocka_unit_test(memory_is_bounded_by_max_keys),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
