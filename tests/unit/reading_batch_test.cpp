#include "reading_batch.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::telemetry;

namespace {

RawMessage message(const char* device, const char* topic, const char* payload) {
    return {device, topic, payload, std::chrono::system_clock::time_point{std::chrono::seconds(1)}};
}

void valid_readings_become_one_row_per_metric(void**) {
    std::map<std::string, DeviceInfo> devices{{"pi-1", {"hydro-sensor", "hydro/pi-1"}}};
    BatchRows out =
        rows_for({message("pi-1", "hydro/pi-1/reading", R"({"tds":512.3,"ph":6.8})")}, devices);
    assert_true(out.rejected.empty());
    assert_int_equal(out.rows.size(), 2);
    assert_text_equal(out.rows[0].device_id, "pi-1");
    assert_text_equal(out.rows[0].metric, "tds");
    assert_text_equal(out.rows[1].metric, "ph");
}

void bad_messages_are_rejected_with_a_reason_and_write_nothing(void**) {
    std::map<std::string, DeviceInfo> devices{{"pi-1", {"hydro-sensor", "hydro/pi-1"}},
                                              {"odd", {"toaster", "t/odd"}}};
    BatchRows out = rows_for(
        {
            message("ghost", "hydro/ghost/reading", R"({"ph":7})"),
            message("odd", "t/odd/reading", R"({"ph":7})"),
            message("pi-1", "hydro/pi-2/reading", R"({"ph":7})"),
            message("pi-1", "hydro/pi-1/status", R"({"ph":7})"),
            message("pi-1", "hydro/pi-1/reading", R"({"ph":99})"),
            message("pi-1", "hydro/pi-1/reading", "garbage"),
            message("pi-1", "hydro/pi-1/reading", R"({"ph":7.1})"),
        },
        devices);
    assert_int_equal(out.rejected.size(), 6);
    assert_text_equal(out.rejected[0].reason, "unknown device");
    assert_text_equal(out.rejected[1].reason, "unknown kind toaster");
    assert_text_equal(out.rejected[2].reason, "not this device's readings topic");
    assert_text_equal(out.rejected[3].reason, "not this device's readings topic");
    assert_int_equal(out.rows.size(), 1);
    assert_float_equal(out.rows[0].value, 7.1, 1e-9);
}

void timestamps_keep_microseconds_in_utc(void**) {
    using namespace std::chrono;
    system_clock::time_point when{seconds(1795425090) + microseconds(89651)};
    assert_text_equal(timestamp_text(when), "2026-11-23 09:11:30.089651+00");
    assert_text_equal(timestamp_text(system_clock::time_point{}), "1970-01-01 00:00:00.000000+00");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(valid_readings_become_one_row_per_metric),
        cmocka_unit_test(bad_messages_are_rejected_with_a_reason_and_write_nothing),
        cmocka_unit_test(timestamps_keep_microseconds_in_utc),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
