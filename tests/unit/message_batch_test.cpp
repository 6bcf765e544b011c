#include "message_batch.hpp"
#include "rejection_tally.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::telemetry;
using namespace std::chrono;

namespace {

const TimePoint received{seconds(1795425090) + microseconds(89651)}; // 2026-11-23 09:11:30

RawMessage message(const char* device, const char* topic, std::string payload) {
    return {1, device, topic, std::move(payload), received};
}

const std::map<std::string, DeviceInfo> devices{{"pi-1", {"hydro-sensor", "hydro/pi-1"}},
                                                {"VM01", {"vending", "vm/VM01"}},
                                                {"box-01", {"parcel-box", "smartparcel/box-01"}},
                                                {"odd", {"toaster", "t/odd"}}};

RawMessage at(const char* device, std::string payload, seconds offset) {
    return {1, device, std::string("hydro/") + device + "/reading", std::move(payload),
            received + offset};
}

void readings_become_one_copy_line_per_metric(void**) {
    StagedBatch out =
        stage({message("pi-1", "hydro/pi-1/reading", R"({"tds":512.3,"ph":6.8})")}, devices);
    assert_true(out.rejected.empty());
    assert_int_equal(out.reading_rows, 2);
    assert_int_equal(out.message_rows, 0);
    assert_text_equal(out.readings, "pi-1\tph\t2026-11-23 09:11:30.089651+00\t6.8\n"
                                    "pi-1\ttds\t2026-11-23 09:11:30.089651+00\t512.3\n");
}

// In readings' key order (device, metric, time), not arrival order: PostgreSQL then inserts
// into the key's index leaf by leaf.
void readings_are_rendered_in_key_order(void**) {
    StagedBatch out = stage(
        {at("pi-2", R"({"ph":6})", seconds(0)), at("pi-1", R"({"ph":7,"tds":500})", seconds(2)),
         at("pi-1", R"({"ph":8})", seconds(1))},
        {{"pi-1", {"hydro-sensor", "hydro/pi-1"}}, {"pi-2", {"hydro-sensor", "hydro/pi-2"}}});
    assert_text_equal(out.readings, "pi-1\tph\t2026-11-23 09:11:31.089651+00\t8\n"
                                    "pi-1\tph\t2026-11-23 09:11:32.089651+00\t7\n"
                                    "pi-1\ttds\t2026-11-23 09:11:32.089651+00\t500\n"
                                    "pi-2\tph\t2026-11-23 09:11:30.089651+00\t6\n");
}

void events_and_statuses_are_staged_with_their_payload(void**) {
    StagedBatch out = stage(
        {
            message("VM01", "vm/VM01/telemetry",
                    R"({"timestamp":"2026-11-23T09:00:00Z","temperature":4.5,"door":"OPEN"})"),
            message("VM01", "vm/VM01/status", R"({"status":"ONLINE","rssi":-65})"),
            message("box-01", "smartparcel/box-01/status", "offline"),
            message("box-01", "smartparcel/box-01/event", R"({"type":"note\ttab\\"})"),
        },
        devices);
    assert_true(out.rejected.empty());
    assert_int_equal(out.accepted, 4);
    assert_int_equal(out.reading_rows, 2); // temperature, rssi
    // The device's own timestamp is used when plausible.
    assert_non_null(std::strstr(out.readings.c_str(),
                                "VM01\ttemperature\t2026-11-23 09:00:00.000000+00\t4.5\n"));
    assert_int_equal(out.message_rows, 4);
    assert_non_null(std::strstr(out.messages.c_str(), "VM01\tstatus\tstatus\t"));
    assert_non_null(
        std::strstr(out.messages.c_str(), "\t{\"status\":\"ONLINE\",\"rssi\":-65}\tt\n"));
    assert_non_null(std::strstr(out.messages.c_str(), "box-01\tstatus\tstatus\t"));
    assert_non_null(std::strstr(out.messages.c_str(), "\t\"offline\"\tf\n"));
    // A tab and a backslash inside the JSON are escaped for COPY, so the line keeps six fields.
    assert_non_null(std::strstr(out.messages.c_str(), R"({"type":"note\\ttab\\\\"})"
                                                      "\t\\N\n"));
}

void bad_messages_are_rejected_with_a_reason_and_stage_nothing(void**) {
    StagedBatch out = stage(
        {
            message("ghost", "hydro/ghost/reading", R"({"ph":7})"),
            message("odd", "t/odd/reading", R"({"ph":7})"),
            message("pi-1", "hydro/pi-2/reading", R"({"ph":7})"),
            message("pi-1", "hydro/pi-1/reading", R"({"ph":99})"),
            message("pi-1", "hydro/pi-1/reading", "garbage"),
            message("VM01", "vm/VM01/status", "sleepy"),
            message("VM01", "vm/VM01/dispense_result", R"({"orderId":"A"})"),
            message("pi-1", "hydro/pi-1/reading", R"({"ph":7.1})"),
        },
        devices);
    assert_int_equal(out.rejected.size(), 6);
    assert_text_equal(out.rejected[0].detail, "unknown device");
    assert_text_equal(out.rejected[1].detail, "unknown kind toaster");
    assert_text_equal(out.rejected[2].detail, "not under this device's prefix");
    assert_text_equal(out.rejected[3].detail, "ph out of range [0, 14]");
    // Short reasons for sampling and metrics, and a sample of the payload for the owner.
    assert_text_equal(out.rejected[0].reason, "unknown_device");
    assert_text_equal(out.rejected[2].reason, "wrong_topic");
    assert_text_equal(out.rejected[3].reason, "bad_field");
    assert_text_equal(out.rejected[4].reason, "not_json");
    assert_text_equal(out.rejected[4].sample, "garbage");
    assert_int_equal(out.ignored, 1); // another plugin's topic
    assert_int_equal(out.accepted, 1);
    assert_int_equal(out.reading_rows, 1);
    assert_int_equal(out.message_rows, 0);
}

// device_rejections rows: one per (device, reason) with the count and the newest sample.
void rejections_are_tallied_per_device_and_reason(void**) {
    std::vector<Rejection> rejected = {
        {"pi-1", "t", "bad_field", "ph must be a number", "{\"ph\":\"a\"}"},
        {"pi-1", "t", "bad_field", "ph must be a number", "{\"ph\":\"b\"}"},
        {"pi-1", "t", "not_json", "not JSON", "x"},
        {"ghost", "t", "unknown_device", "unknown device", "{}"},
        {"pi-2", "t", "bad_field", "tds out of range", "{\"tds\":-1}"},
    };
    std::vector<RejectionRow> rows = tally(rejected);
    assert_int_equal(rows.size(), 3);
    assert_text_equal(rows[0].device_id, "pi-1");
    assert_text_equal(rows[0].reason, "bad_field");
    assert_int_equal(rows[0].count, 2);
    assert_text_equal(rows[0].sample, "{\"ph\":\"b\"}");
    assert_text_equal(rows[1].reason, "not_json");
    assert_text_equal(rows[2].device_id, "pi-2");

    RejectionOutbox refusals(2);
    for (int i = 0; i < 1000; ++i)
        refusals.add("pi-1", "oversized", "big", std::string(20000, 'x'));
    refusals.add("pi-2", "oversized", "big", "y");
    refusals.add("pi-3", "oversized", "big", "z"); // over the cap: only logged and in stats
    std::vector<RejectionRow> taken = refusals.take();
    assert_int_equal(taken.size(), 2);
    assert_int_equal(taken[0].count, 1000);
    assert_int_equal(taken[0].sample.size(), 200);
    assert_true(refusals.take().empty());
    refusals.add("pi-1", "oversized", "big", "x");
    refusals.restore(std::move(taken)); // a round lost to an outage adds to newer counts
    taken = refusals.take();
    assert_int_equal(taken[0].count, 1001);

    // A plugin's odd reason name is folded into device_rejections' [a-z_]{1,40}, not refused.
    RejectionOutbox names;
    names.add("pi-1", "Locked-Out 2", "", "");
    names.add("pi-1", "", "", "");
    taken = names.take();
    assert_int_equal(taken.size(), 2);
    assert_text_equal(taken[0].reason, "locked_out__");
    assert_text_equal(taken[1].reason, "rejected");
}

void timestamps_keep_microseconds_in_utc(void**) {
    assert_text_equal(timestamp_text(received), "2026-11-23 09:11:30.089651+00");
    assert_text_equal(timestamp_text(TimePoint{}), "1970-01-01 00:00:00.000000+00");
    assert_text_equal(timestamp_text(-1), "1969-12-31 23:59:59.999999+00");
    assert_text_equal(timestamp_text(951782400000000), "2000-02-29 00:00:00.000000+00");
    // Beyond a TimePoint's range: its ends, not an overflow.
    assert_text_equal(timestamp_text(std::numeric_limits<std::int64_t>::min()),
                      "1677-09-21 00:12:43.145225+00");
    assert_text_equal(timestamp_text(std::numeric_limits<std::int64_t>::max()),
                      "2262-04-11 23:47:16.854775+00");
}

// The writer's own date arithmetic against the C library's, across leap years, centuries and
// both sides of the epoch, over a TimePoint's whole range.
void timestamps_agree_with_gmtime(void**) {
    std::uint64_t state = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 200000; ++i) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        // -9.2e15 to +9.2e15 microseconds: 1678 to 2261.
        auto micros =
            static_cast<std::int64_t>(state % 18'400'000'000'000'000u) - 9'200'000'000'000'000;
        std::int64_t seconds = micros / 1000000;
        std::int64_t fraction = micros % 1000000;
        if (fraction < 0) {
            fraction += 1000000;
            --seconds;
        }
        std::time_t when = static_cast<std::time_t>(seconds);
        std::tm utc{};
        gmtime_r(&when, &utc);
        char expected[48];
        std::snprintf(expected, sizeof expected, "%04lld-%02d-%02d %02d:%02d:%02d.%06lld+00",
                      static_cast<long long>(utc.tm_year) + 1900, utc.tm_mon + 1, utc.tm_mday,
                      utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(fraction));
        assert_text_equal(timestamp_text(micros), expected);
    }
}

} // namespace

// The summary columns as tab-separated rows, rollups first, to compare whole.
std::string rollup_rows(const StagedBatch& batch) {
    SummaryColumns c = summary_columns(batch);
    std::string out;
    for (std::size_t i = 0; i < c.rollup_device.size(); ++i)
        out += c.rollup_device[i] + '\t' + c.rollup_metric[i] + '\t' + c.rollup_seconds[i] + '\t' +
               c.rollup_bucket[i] + '\t' + c.rollup_samples[i] + '\t' + c.rollup_total[i] + '\t' +
               c.rollup_low[i] + '\t' + c.rollup_high[i] + '\n';
    return out;
}

std::string latest_rows(const StagedBatch& batch) {
    SummaryColumns c = summary_columns(batch);
    std::string out;
    for (std::size_t i = 0; i < c.latest_device.size(); ++i)
        out += c.latest_device[i] + '\t' + c.latest_metric[i] + '\t' + c.latest_at[i] + '\t' +
               c.latest_value[i] + '\n';
    return out;
}

// 09:11:30 and 09:11:50 share a minute, 09:12:10 starts the next; all three share the hour.
void readings_are_summed_into_rollups_and_latest_values(void**) {
    StagedBatch out =
        stage({at("pi-1", R"({"ph":6.0,"tds":500})", seconds(0)),
               at("pi-1", R"({"ph":7.0})", seconds(20)), at("pi-1", R"({"ph":5.0})", seconds(40)),
               message("bad", "hydro/bad/reading", R"({"ph":1})")},
              devices);
    assert_int_equal(out.reading_rows, 4);
    assert_text_equal(rollup_rows(out),
                      "pi-1\tph\t60\t2026-11-23 09:11:00.000000+00\t2\t13\t6\t7\n"
                      "pi-1\tph\t60\t2026-11-23 09:12:00.000000+00\t1\t5\t5\t5\n"
                      "pi-1\tph\t3600\t2026-11-23 09:00:00.000000+00\t3\t18\t5\t7\n"
                      "pi-1\ttds\t60\t2026-11-23 09:11:00.000000+00\t1\t500\t500\t500\n"
                      "pi-1\ttds\t3600\t2026-11-23 09:00:00.000000+00\t1\t500\t500\t500\n");
    assert_text_equal(latest_rows(out), "pi-1\tph\t2026-11-23 09:12:10.089651+00\t5\n"
                                        "pi-1\ttds\t2026-11-23 09:11:30.089651+00\t500\n");
}

// The newest reading is the latest value whatever order the messages came in.
void the_latest_value_is_the_newest_not_the_last_staged(void**) {
    StagedBatch out =
        stage({at("pi-1", R"({"ph":6.5})", seconds(30)), at("pi-1", R"({"ph":5.5})", seconds(-30))},
              devices);
    assert_text_equal(latest_rows(out), "pi-1\tph\t2026-11-23 09:12:00.089651+00\t6.5\n");
    assert_text_equal(rollup_rows(out),
                      "pi-1\tph\t60\t2026-11-23 09:12:00.000000+00\t1\t6.5\t6.5\t6.5\n"
                      "pi-1\tph\t60\t2026-11-23 09:11:00.000000+00\t1\t5.5\t5.5\t5.5\n"
                      "pi-1\tph\t3600\t2026-11-23 09:00:00.000000+00\t2\t12\t5.5\t6.5\n");
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(readings_become_one_copy_line_per_metric),
        cmocka_unit_test(readings_are_rendered_in_key_order),
        cmocka_unit_test(events_and_statuses_are_staged_with_their_payload),
        cmocka_unit_test(bad_messages_are_rejected_with_a_reason_and_stage_nothing),
        cmocka_unit_test(timestamps_keep_microseconds_in_utc),
        cmocka_unit_test(timestamps_agree_with_gmtime),
        cmocka_unit_test(rejections_are_tallied_per_device_and_reason),
        cmocka_unit_test(readings_are_summed_into_rollups_and_latest_values),
        cmocka_unit_test(the_latest_value_is_the_newest_not_the_last_staged),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
