#include "sarang/readings.hpp"

#include <cstring>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;

namespace {

ParsedReading parse(const char* payload) {
    return parse_reading(*find_kind("hydro-sensor"), payload);
}

void accepts_known_metrics(void**) {
    ParsedReading reading = parse(R"({"tds":512.3,"ph":6.8})");
    assert_true(reading.ok());
    assert_int_equal(reading.metrics.size(), 2);
    assert_text_equal(reading.metrics[0].name, "tds");
    assert_float_equal(reading.metrics[0].value, 512.3, 1e-9);
    assert_text_equal(reading.metrics[1].name, "ph");
    assert_float_equal(reading.metrics[1].value, 6.8, 1e-9);
}

void integers_count_as_numbers_and_unknown_fields_are_ignored(void**) {
    ParsedReading reading = parse(R"({"ph":7,"firmware":"1.2.0","tds":null})");
    assert_true(reading.ok());
    assert_int_equal(reading.metrics.size(), 1);
    assert_float_equal(reading.metrics[0].value, 7.0, 0);
}

void rejects_whole_message_on_one_bad_metric(void**) {
    struct Case {
        const char* payload;
        const char* reason;
    } cases[] = {
        {R"({"tds":512.3,"ph":15})", "ph out of range"},
        {R"({"tds":-1})", "tds out of range"},
        {R"({"ph":"6.8"})", "ph must be a number"},
        {R"({"ph":true})", "ph must be a number"},
        {R"({"ph":6.8)", "not JSON"},
        {R"([6.8])", "expected a JSON object"},
        {R"("6.8")", "expected a JSON object"},
        {"", "not JSON"},
        {R"({})", "no known metric"},
        {R"({"humidity":40})", "no known metric"},
        {R"({"ph":1e999})", "not JSON"},
        {R"({"ph":6.8,"ph":7.0})", "not JSON"},
    };
    for (const Case& c : cases) {
        ParsedReading reading = parse(c.payload);
        assert_false(reading.ok());
        assert_true(reading.metrics.empty());
        if (std::strstr(reading.error.c_str(), c.reason) == nullptr)
            fail_msg("payload %s: error '%s' lacks '%s'", c.payload, reading.error.c_str(),
                     c.reason);
    }
}

void range_bounds_are_inclusive(void**) {
    assert_true(parse(R"({"ph":0})").ok());
    assert_true(parse(R"({"ph":14})").ok());
    assert_false(parse(R"({"ph":14.0001})").ok());
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(accepts_known_metrics),
        cmocka_unit_test(integers_count_as_numbers_and_unknown_fields_are_ignored),
        cmocka_unit_test(rejects_whole_message_on_one_bad_metric),
        cmocka_unit_test(range_bounds_are_inclusive),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
