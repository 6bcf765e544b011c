#include "sarang/topic_rules.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;

namespace {

const KindSpec& hydro() {
    return *find_kind("hydro-sensor");
}

void device_publishes_only_its_kinds_subtopics_under_its_prefix(void**) {
    assert_true(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1/reading"));
    assert_true(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1/status"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1/config"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-2/reading"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1/"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1/reading/x"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "$SYS/hydro/pi-1/reading"));
}

void prefix_is_matched_by_whole_levels(void**) {
    // pi-1 must not reach pi-10 or pi-1x, whose topics start with the same characters.
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-10/reading"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::write, "hydro/pi-1x/reading"));
    assert_text_equal(subtopic_under("hydro/pi-1", "hydro/pi-1/reading"), "reading");
    assert_true(subtopic_under("hydro/pi-1", "hydro/pi-10/reading").empty());
}

void device_reads_and_subscribes_only_to_its_commands_without_wildcards(void**) {
    assert_true(device_may(hydro(), "hydro/pi-1", Access::subscribe, "hydro/pi-1/config"));
    assert_true(device_may(hydro(), "hydro/pi-1", Access::read, "hydro/pi-1/config"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::subscribe, "hydro/pi-1/#"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::subscribe, "hydro/+/config"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::subscribe, "#"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::read, "hydro/pi-1/reading"));
    assert_false(device_may(hydro(), "hydro/pi-1", Access::read, "hydro/pi-2/config"));
    assert_true(device_may(hydro(), "hydro/pi-1", Access::unsubscribe, "anything/#"));
}

void device_ids_exclude_wildcards_separators_and_dollar(void**) {
    assert_true(valid_device_id("pi-1"));
    assert_true(valid_device_id("A4CF12B3C4D5"));
    assert_true(valid_device_id("esp32_dht11_001"));
    for (const char* bad : {"", "a+b", "a#", "a/b", "$SYS", "pi 1", "pi.1", "ü"})
        assert_false(valid_device_id(bad));
    assert_true(valid_device_id(std::string(64, 'a')));
    assert_false(valid_device_id(std::string(65, 'a')));
}

void topic_prefixes_are_plain_levels(void**) {
    assert_true(valid_topic_prefix("hydro/pi-1"));
    assert_true(valid_topic_prefix("smartparcel/box-01"));
    assert_true(valid_topic_prefix("vm/VM01"));
    for (const char* bad :
         {"", "/hydro", "hydro/", "hydro//pi", "hydro/+", "hydro/#", "$SYS/x", "a/b/c/d/e/f/g/h/i"})
        assert_false(valid_topic_prefix(bad));
    assert_text_equal(default_topic_prefix(hydro(), "pi-7"), "hydro/pi-7");
}

void kinds_are_looked_up_by_name(void**) {
    assert_non_null(find_kind("hydro-sensor"));
    assert_null(find_kind("toaster"));
    assert_true(all_kinds().size() >= 1);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(device_publishes_only_its_kinds_subtopics_under_its_prefix),
        cmocka_unit_test(prefix_is_matched_by_whole_levels),
        cmocka_unit_test(device_reads_and_subscribes_only_to_its_commands_without_wildcards),
        cmocka_unit_test(device_ids_exclude_wildcards_separators_and_dollar),
        cmocka_unit_test(topic_prefixes_are_plain_levels),
        cmocka_unit_test(kinds_are_looked_up_by_name),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
