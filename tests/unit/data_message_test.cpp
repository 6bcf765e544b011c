#include "sarang/data_message.hpp"
#include "sarang/flat_json.hpp"

#include <cstring>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace std::chrono;

namespace {

const DataTopic& topic_of(const char* kind, const char* subtopic) {
    const DataTopic* topic = find_kind(kind)->data_topic(subtopic);
    if (topic == nullptr)
        fail_msg("%s has no data topic %s", kind, subtopic);
    return *topic;
}

ParsedMessage hydro(const char* payload) {
    return parse_data_message(topic_of("hydro-sensor", "reading"), payload);
}

// `field`: the field the error names (the sidecar's 422 "field"), "" for the whole payload;
// nullptr: not checked.
void expect_rejected(const DataTopic& topic, const char* payload, const char* reason,
                     const char* field = nullptr) {
    ParsedMessage message = parse_data_message(topic, payload);
    assert_false(message.ok());
    assert_true(message.metrics.empty());
    if (std::strstr(message.error.c_str(), reason) == nullptr)
        fail_msg("payload %s: error '%s' lacks '%s'", payload, message.error.c_str(), reason);
    if (field != nullptr && message.field != field)
        fail_msg("payload %s: field '%s', not '%s'", payload, message.field.c_str(), field);
}

void accepts_known_metrics(void**) {
    ParsedMessage reading = hydro(R"({"tds":512.3,"ph":6.8})");
    assert_true(reading.ok());
    assert_int_equal(reading.metrics.size(), 2);
    assert_text_equal(reading.metrics[0].name, "tds");
    assert_float_equal(reading.metrics[0].value, 512.3, 1e-9);
    assert_text_equal(reading.metrics[1].name, "ph");
    assert_float_equal(reading.metrics[1].value, 6.8, 1e-9);
    assert_true(reading.kept_json.empty()); // readings keep only their numbers
}

void integers_count_as_numbers_and_unknown_fields_are_ignored(void**) {
    ParsedMessage reading = hydro(R"({"ph":7,"firmware":"1.2.0","tds":null})");
    assert_true(reading.ok());
    assert_int_equal(reading.metrics.size(), 1);
    assert_float_equal(reading.metrics[0].value, 7.0, 0);
}

void rejects_whole_message_on_one_bad_field(void**) {
    const DataTopic& reading = topic_of("hydro-sensor", "reading");
    struct Case {
        const char* payload;
        const char* reason;
        const char* field = "";
    } cases[] = {
        {R"({"tds":512.3,"ph":15})", "ph out of range", "ph"},
        {R"({"tds":-1})", "tds out of range", "tds"},
        {R"({"ph":"6.8"})", "ph must be a number", "ph"},
        {R"({"ph":true})", "ph must be a number", "ph"},
        {R"({"ph":6.8)", "not JSON"},
        {R"([6.8])", "expected a JSON object"},
        {R"("6.8")", "expected a JSON object"},
        {"", "not JSON"},
        {R"({})", "no known metric"},
        {R"({"humidity":40})", "no known metric"},
        {R"({"ph":1e999})", "not JSON"},
        {R"({"ph":6.8,"ph":7.0})", "not JSON"},
        {R"({"ph":6.8,"ts":"yesterday"})", "ts must be", "ts"},
        {R"({"ph":6.8,"timestamp":"2025-11-04T10:30:00"})", "timestamp must be", "timestamp"},
    };
    for (const Case& c : cases)
        expect_rejected(reading, c.payload, c.reason, c.field);
    std::string huge = R"({"ph":6.8,"pad":")" + std::string(max_data_payload, 'x') + "\"}";
    expect_rejected(reading, huge.c_str(), "payload over");
}

void range_bounds_are_inclusive(void**) {
    assert_true(hydro(R"({"ph":0})").ok());
    assert_true(hydro(R"({"ph":14})").ok());
    assert_false(hydro(R"({"ph":14.0001})").ok());
}

// Seed 001's telemetry: slot levels and door state are kept, the temperature becomes a reading.
void vending_telemetry_keeps_the_payload_and_lifts_the_temperature(void**) {
    const DataTopic& telemetry = topic_of("vending", "telemetry");
    ParsedMessage message = parse_data_message(
        telemetry, R"({"timestamp":"2025-11-04T10:30:00Z","slots":[{"id":1,"level":"FULL"}],)"
                   R"("temperature":25.5,"door":"CLOSED"})");
    assert_true(message.ok());
    assert_int_equal(message.metrics.size(), 1);
    assert_text_equal(message.metrics[0].name, "temperature");
    assert_non_null(std::strstr(message.kept_json.c_str(), R"("level":"FULL")"));
    assert_true(message.device_time.has_value());
    assert_int_equal(system_clock::to_time_t(*message.device_time), 1762252200);
    expect_rejected(telemetry, R"({"slots":"FULL"})", "slots must be an array");
    expect_rejected(telemetry, R"({"door":1})", "door must be a string");
}

void status_words_and_objects(void**) {
    const DataTopic& parcel = topic_of("parcel-box", "status");
    ParsedMessage online = parse_data_message(parcel, "online"); // seed 004 sends a bare string
    assert_true(online.ok());
    assert_true(online.online.value());
    assert_text_equal(online.kept_json, R"("online")");
    ParsedMessage quoted = parse_data_message(parcel, R"("OFFLINE")");
    assert_true(quoted.ok());
    assert_false(quoted.online.value());

    const DataTopic& vending = topic_of("vending", "status");
    ParsedMessage object =
        parse_data_message(vending, R"({"status":"ONLINE","door":"CLOSED","rssi":-65,"fw":"1.0"})");
    assert_true(object.ok());
    assert_true(object.online.value());
    assert_int_equal(object.metrics.size(), 1);
    assert_text_equal(object.metrics[0].name, "rssi");

    ParsedMessage lock = parse_data_message(topic_of("door-lock", "status"),
                                            R"({"state":"unlocked","method":"remote"})");
    assert_true(lock.ok());
    assert_false(lock.online.has_value()); // says nothing about being online

    expect_rejected(parcel, "maybe", "status must be");
    expect_rejected(parcel, "", "status must be");
    expect_rejected(vending, R"({"rssi":"strong"})", "rssi must be a number");
}

void events_need_an_object_with_typed_fields(void**) {
    const DataTopic& event = topic_of("parcel-box", "event");
    ParsedMessage detect = parse_data_message(event, R"({"type":"detect","cm":17})");
    assert_true(detect.ok());
    assert_int_equal(detect.metrics.size(), 1);
    assert_text_equal(detect.metrics[0].name, "distance_cm");
    assert_text_equal(detect.kept_json, R"({"type":"detect","cm":17})");
    ParsedMessage bare = parse_data_message(event, R"({"note":"no metric is fine"})");
    assert_true(bare.ok());
    expect_rejected(event, R"({"type":3})", "type must be a string");
    expect_rejected(event, "17", "expected a JSON object");
    expect_rejected(topic_of("door-lock", "alert"), R"({"attempts":5,"lockout":"yes"})",
                    "lockout must be true or false");
}

void device_time_forms(void**) {
    auto at = [](const char* payload) {
        ParsedMessage message = hydro(payload);
        assert_true(message.ok());
        return duration_cast<milliseconds>(message.device_time.value().time_since_epoch()).count();
    };
    assert_int_equal(at(R"({"ph":7,"ts":1762252200})"), 1762252200000LL);
    assert_int_equal(at(R"({"ph":7,"ts":1762252200123})"), 1762252200123LL);
    assert_int_equal(at(R"({"ph":7,"timestamp":"2025-11-04T17:30:00.5+07:00"})"), 1762252200500LL);
    // Microseconds and nanoseconds (issue #18: a device sending epoch microseconds).
    assert_int_equal(at(R"({"ph":7,"ts":1762252200123456})"), 1762252200123LL);
    assert_int_equal(at(R"({"ph":7,"ts":1762252200123456789})"), 1762252200123LL);
    auto ns = [](const char* payload) {
        return duration_cast<nanoseconds>(hydro(payload).device_time.value().time_since_epoch())
            .count();
    };
    assert_true(ns(R"({"ph":7,"ts":1762252200123456789})") == 1762252200123456789LL); // exact
    assert_true(ns(R"({"ph":7,"ts":1762252200123456})") == 1762252200123456000LL);
}

// The unit boundaries: 1e11 is the last second count, 1e14 the last millisecond count, 1e17 the
// last microsecond count; one more is the next unit, which starts at 1973-03-03 each time.
void epoch_unit_boundaries(void**) {
    auto seconds_of = [](const char* payload) {
        ParsedMessage message = hydro(payload);
        if (!message.ok())
            return -1LL;
        return static_cast<long long>(
            duration_cast<seconds>(message.device_time.value().time_since_epoch()).count());
    };
    assert_int_equal(seconds_of(R"({"ph":7,"ts":9100000000})"), 9100000000LL); // seconds, 2258
    assert_int_equal(seconds_of(R"({"ph":7,"ts":100000000000})"), -1);         // 1e11 s: after 2262
    assert_int_equal(seconds_of(R"({"ph":7,"ts":100000000001})"), 100000000LL);    // ms, 1973
    assert_int_equal(seconds_of(R"({"ph":7,"ts":100000000000000})"), -1);          // 1e14 ms
    assert_int_equal(seconds_of(R"({"ph":7,"ts":100000000000001})"), 100000000LL); // us
    assert_int_equal(seconds_of(R"({"ph":7,"ts":9100000000000000})"), 9100000000LL);
    assert_int_equal(seconds_of(R"({"ph":7,"ts":100000000000000000})"), -1); // 1e17 us: 5138
    assert_int_equal(seconds_of(R"({"ph":7,"ts":100000000000000001})"), 100000000LL); // ns
    assert_int_equal(seconds_of(R"({"ph":7,"ts":9100000000000000000})"), 9100000000LL);
    assert_int_equal(seconds_of(R"({"ph":7,"ts":9.3e18})"), -1); // ns after 2262
    assert_int_equal(seconds_of(R"({"ph":7,"ts":1e30})"), -1);
}

void rejections_have_a_short_reason(void**) {
    auto reason = [](const char* payload) { return std::string(rejection_reason(hydro(payload))); };
    assert_string_equal(reason(R"({"ph":7})").c_str(), "");
    assert_string_equal(reason(R"({"ph":7,"ts":"soon"})").c_str(), "bad_timestamp");
    assert_string_equal(reason(R"({"ph":"x"})").c_str(), "bad_field");
    assert_string_equal(reason(R"({"ph":7)").c_str(), "not_json");
    assert_string_equal(reason(R"([1])").c_str(), "not_object");
    assert_string_equal(reason(R"({"other":1})").c_str(), "no_metric");
    // Samples: at most 200 bytes, valid UTF-8 even when the payload is not or is cut mid-way.
    std::string big(500, 'x');
    assert_int_equal(rejection_sample(big).size(), 200);
    std::string bad(199, 'x');
    bad += "\xff\xfe\xfd";
    std::string sample = rejection_sample(bad);
    assert_true(sample.size() <= 200);
    assert_string_equal(sample.c_str(), std::string(199, 'x').c_str());
    std::string euro = std::string(199, 'x') + "\xe2\x82\xac"; // a valid character cut in two
    assert_string_equal(rejection_sample(euro).c_str(), std::string(199, 'x').c_str());
    assert_string_equal(rejection_sample(std::string("a\0b", 3)).c_str(), "a\xef\xbf\xbd"
                                                                          "b");
    assert_false(parse_iso8601("2025-02-31T00:00:00Z").has_value());
    assert_false(parse_iso8601("2025-11-04T10:30:00Zjunk").has_value());
    assert_false(parse_iso8601("2025-11-04").has_value());
}

// A time_point counts nanoseconds in 64 bits and ends in 2262: later times are refused instead
// of overflowing (UBSan in fuzz/iso8601_fuzz.cpp and fuzz/query_params_fuzz.cpp).
void times_after_2261_are_refused(void**) {
    assert_true(parse_iso8601("2261-12-31T23:59:59Z").has_value());
    assert_false(parse_iso8601("2262-01-01T00:00:00Z").has_value());
    assert_false(parse_iso8601("4104-11-04 10:30:00Z").has_value());
    for (const char* payload : {R"({"ph":7,"ts":99999999999})", R"({"ph":7,"ts":99999999999999})",
                                R"({"ph":7,"ts":9300000000})"}) {
        ParsedMessage message = hydro(payload);
        assert_false(message.ok());
        assert_non_null(std::strstr(message.error.c_str(), "ts must be"));
    }
    assert_true(hydro(R"({"ph":7,"ts":9100000000})").ok());
    assert_true(hydro(R"({"ph":7,"ts":9100000000000})").ok());
}

void implausible_device_times_fall_back_to_the_receive_time(void**) {
    TimePoint received = system_clock::now();
    assert_true(message_time(received, std::nullopt) == received);
    assert_true(message_time(received, received - hours(1)) == received - hours(1));
    assert_true(message_time(received, received - days(8)) == received);    // stale clock
    assert_true(message_time(received, received + minutes(6)) == received); // clock ahead
}

void thresholds_classify_with_open_ends(void**) {
    const MetricSpec* ph = find_kind("hydro-sensor")->metric("ph");
    assert_non_null(ph);
    assert_int_equal(classify(6.0, ph->defaults), static_cast<int>(Level::normal));
    assert_int_equal(classify(5.2, ph->defaults), static_cast<int>(Level::warning));
    assert_int_equal(classify(8.0, ph->defaults), static_cast<int>(Level::critical));
    const MetricSpec* rssi = find_kind("vending")->metric("rssi");
    assert_int_equal(classify(-40, rssi->defaults), static_cast<int>(Level::normal));
    assert_int_equal(classify(-80, rssi->defaults), static_cast<int>(Level::warning));
    assert_int_equal(classify(-95, rssi->defaults), static_cast<int>(Level::critical));
    assert_text_equal(std::string(level_name(Level::warning)), "warning");
}

void data_topic_filter_matches_whole_levels(void**) {
    assert_true(may_be_data_topic("hydro/pi-1/reading"));
    assert_true(may_be_data_topic("smartparcel/box-01/sensor/distance"));
    assert_false(may_be_data_topic("hydro/pi-1/xreading"));
    assert_false(may_be_data_topic("reading"));
    assert_false(may_be_data_topic("vm/VM01/dispense_result")); // the vending plugin's
}

// The flat reader takes the common payloads and leaves the rest to jansson.
void flat_reader_takes_flat_objects_only(void**) {
    for (const char* taken :
         {R"({"ph":6.8,"tds":512,"ts":1796331192000})", "{}", " {} ",
          R"( { "ph" : -0.0e+1 , "on" : true, "x" : null, "s" : "a b" } )", "{\"ph\":\t1\r\n}"})
        if (!flat_json::scan_object(taken))
            fail_msg("not taken: %s", taken);
    for (const char* left :
         {R"({"ph":7,"ph":8})", R"({"ph":[1]})", R"({"ph":{"v":1}})", R"({"s":"a\nb"})",
          R"({"s":"é"})", R"({"ph":01})", R"({"ph":1.})", R"({"ph":.5})", R"({"ph":+1})",
          R"({"ph":1e400})", R"({"ph":9223372036854775808})", R"({"ph":1} x)", R"({"ph":1,})",
          R"({"ph":tru})", R"([1])", "", R"("online")", R"({"ph":NaN})"})
        if (flat_json::scan_object(left))
            fail_msg("taken, but jansson's to read: %s", left);
    std::optional<flat_json::Object> object =
        flat_json::scan_object(R"({"ts":1796331192000123456,"ph":6.5,"s":"x"})");
    assert_true(object.has_value());
    assert_true(object->find("ts")->type == flat_json::Value::Type::integer);
    assert_true(object->find("ts")->integer == 1796331192000123456);
    assert_true(object->find("ph")->number == 6.5);
    assert_true(object->find("s")->text == "x");
    assert_null(object->find("tds"));
}

// Whatever reads a payload, the outcome is jansson's: the same metrics, times and errors.
void flat_reader_agrees_with_the_tree(void**) {
    const DataTopic& topic = topic_of("hydro-sensor", "reading");
    for (const char* payload : {R"({"ph":6.8,"tds":512,"ts":1796331192000})",
                                R"({"ph":6.8,"ph":7})",
                                R"({"ph":15})",
                                R"({"ph":"7"})",
                                R"({"ph":null,"tds":null})",
                                R"({"ph":7,"ts":"2026-12-06T20:00:00Z"})",
                                R"({"ph":7,"ts":"yesterday"})",
                                R"({"ph":7,"ts":null,"timestamp":1796331192})",
                                R"({"ph":7,"ts":1796331192000123456})",
                                R"({"ph":7,"ts":-5})",
                                R"({"ph":7,"ts":true})",
                                R"({"ph":1e400})",
                                R"({"ph":1e-400})",
                                R"({"ph":7} x)",
                                R"({"temperature":[1]})",
                                R"({"unknown":1})",
                                "{}",
                                R"({"ph":6.999999999999999999999})",
                                R"({"ph":-0})",
                                R"({"tds":4999.9999999999995})",
                                R"({"tds":12345678901234567})"}) {
        ParsedMessage fast = parse_data_message(topic, payload);
        ParsedMessage tree = parse_data_message_tree(topic, payload);
        if (fast.error != tree.error || fast.field != tree.field ||
            fast.device_time != tree.device_time || fast.metrics.size() != tree.metrics.size())
            fail_msg("%s: '%s' against the tree's '%s'", payload, fast.error.c_str(),
                     tree.error.c_str());
        for (std::size_t i = 0; i < fast.metrics.size(); ++i)
            assert_true(
                fast.metrics[i].name == tree.metrics[i].name &&
                std::memcmp(&fast.metrics[i].value, &tree.metrics[i].value, sizeof(double)) == 0);
    }
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(accepts_known_metrics),
        cmocka_unit_test(integers_count_as_numbers_and_unknown_fields_are_ignored),
        cmocka_unit_test(rejects_whole_message_on_one_bad_field),
        cmocka_unit_test(range_bounds_are_inclusive),
        cmocka_unit_test(vending_telemetry_keeps_the_payload_and_lifts_the_temperature),
        cmocka_unit_test(status_words_and_objects),
        cmocka_unit_test(epoch_unit_boundaries),
        cmocka_unit_test(rejections_have_a_short_reason),
        cmocka_unit_test(events_need_an_object_with_typed_fields),
        cmocka_unit_test(device_time_forms),
        cmocka_unit_test(times_after_2261_are_refused),
        cmocka_unit_test(implausible_device_times_fall_back_to_the_receive_time),
        cmocka_unit_test(thresholds_classify_with_open_ends),
        cmocka_unit_test(data_topic_filter_matches_whole_levels),
        cmocka_unit_test(flat_reader_takes_flat_objects_only),
        cmocka_unit_test(flat_reader_agrees_with_the_tree),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
