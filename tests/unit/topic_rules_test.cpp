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

void filters_within_filters(void**) {
    struct Case {
        const char* filter;
        const char* permitted;
        bool within;
    } cases[] = {
        {"a/b", "a/b", true},
        {"a/b", "a/+", true},
        {"a/b", "a/#", true},
        {"a", "a/#", true},
        {"a/+", "a/#", true},
        {"a/+/c", "a/#", true},
        {"a/#", "a/#", true},
        {"a/+/c", "a/+/c", true},
        {"a/b/c", "+/+/+", true},
        {"#", "#", true},
        {"a/#", "a/+", false},
        {"a/+", "a/b", false},
        {"a/b/c", "a/b", false},
        {"a", "a/b", false},
        {"a/b", "a/b/c", false},
        {"+/b", "a/b", false},
        {"#", "a/#", false},
        {"a/#", "a/b/#", false},
        {"b/c", "a/#", false},
        {"a/b", "", false},
        {"", "a", false},
        {"a/bc", "a/b", false},
        {"a/b", "a/bc", false},
        // An integration's list: narrower wildcards inside wider ones, never the reverse.
        {"hydro/+/reading", "hydro/#", true},
        {"hydro/+/reading", "hydro/+/reading", true},
        {"hydro/pi-1/reading", "hydro/+/reading", true},
        {"hydro/pi-1/#", "hydro/+/reading", false},
        {"hydro/#", "hydro/+/reading", false},
        {"hydro/+/+", "hydro/+/reading", false},
        {"+/pi-1/reading", "hydro/+/reading", false},
        {"hydro/+/reading/x", "hydro/+/reading", false},
        {"hydro/+", "hydro/+/reading", false},
        {"hydro", "hydro/+/reading", false},
        {"hydro/+/reading", "+/+/#", true},
        {"hydro/+/reading", "+/#", true},
        {"hydro", "+/#", true},
        {"hydro", "+", true},
        {"hydro/x", "+", false},
        {"+/#", "#", true},
        {"+/+", "+/#", true},
        {"a//b", "a/+/b", true},
        {"a//b", "a/#", true},
        {"a/", "a/+", true},
        {"a", "a/+", false},
        // $ topics are matched only by a filter naming their first level (MQTT 4.7.2).
        {"$SYS/broker/load", "#", false},
        {"$SYS/broker/load", "+/broker/load", false},
        {"$SYS/#", "#", false},
        {"$SYS/broker/load", "$SYS/#", true},
        {"a/$x", "a/+", true},
    };
    for (const Case& c : cases) {
        if (filter_within(c.filter, c.permitted) != c.within)
            fail_msg("filter_within(%s, %s) should be %d", c.filter, c.permitted, c.within);
    }
    assert_text_equal(without_share_prefix("$share/g/hydro/pi-1/config"), "hydro/pi-1/config");
    assert_text_equal(without_share_prefix("hydro/pi-1/config"), "hydro/pi-1/config");
    assert_true(without_share_prefix("$share/g").empty());
}

void integrations_read_only_within_their_filters(void**) {
    std::vector<std::string> filters = {"hydro/+/reading", "home/#"};
    struct Case {
        Access access;
        const char* topic;
        bool allowed;
    } cases[] = {
        {Access::subscribe, "hydro/+/reading", true},
        {Access::subscribe, "hydro/pi-1/reading", true},
        {Access::subscribe, "$share/lake/hydro/+/reading", true},
        {Access::subscribe, "$share/lake/home/#", true},
        {Access::subscribe, "home", true},
        {Access::subscribe, "hydro/#", false},
        {Access::subscribe, "hydro/+/status", false},
        {Access::subscribe, "$share/lake/hydro/#", false},
        {Access::subscribe, "$share/lake", false},
        {Access::subscribe, "#", false},
        {Access::subscribe, "vm/VM01/telemetry", false},
        {Access::read, "hydro/pi-1/reading", true},
        {Access::read, "home/dht-1/reading", true},
        {Access::read, "hydro/pi-1/status", false},
        {Access::read, "hydro/pi-1/reading/x", false},
        {Access::write, "hydro/pi-1/reading", false},
        {Access::write, "home/dht-1/command", false},
        {Access::unsubscribe, "anything/at/all", true},
    };
    for (const Case& c : cases) {
        if (integration_may(filters, c.access, c.topic) != c.allowed)
            fail_msg("integration_may(%d, %s) should be %d", static_cast<int>(c.access), c.topic,
                     c.allowed);
    }
    // "#" reaches every device topic, but never the backend's own nor $ topics.
    std::vector<std::string> everything = {"#"};
    assert_true(integration_may(everything, Access::subscribe, "#"));
    assert_true(integration_may(everything, Access::read, "vm/VM01/telemetry"));
    assert_false(integration_may(everything, Access::read, "sarang/provision/boot:x/request"));
    assert_false(integration_may(everything, Access::read, "sarang"));
    assert_false(integration_may(everything, Access::read, "$SYS/broker/uptime"));
    assert_false(integration_may(everything, Access::subscribe, "$SYS/#"));
    assert_false(integration_may(everything, Access::write, "vm/VM01/command"));
    assert_false(integration_may({}, Access::read, "vm/VM01/telemetry"));
}

void admins_read_device_topics_and_never_write(void**) {
    assert_true(admin_may(true, Access::read, "hydro/pi-1/reading"));
    assert_false(admin_may(false, Access::read, "sarang/provision/x/request"));
    assert_true(admin_may(false, Access::subscribe, "hydro/+/reading"));
    assert_true(admin_may(false, Access::subscribe, "#"));
    assert_true(admin_may(false, Access::subscribe, "$share/ops/hydro/#"));
    assert_false(admin_may(false, Access::subscribe, "$SYS/#"));
    assert_false(admin_may(false, Access::subscribe, "$share/ops"));
    assert_false(admin_may(true, Access::write, "hydro/pi-1/config"));
    assert_true(admin_may(false, Access::unsubscribe, "#"));
}

void topic_filters_are_validated(void**) {
    for (const char* good : {"a", "#", "+", "a/+/c", "a/#", "+/+/#", "a//b", "/a", "a/"})
        if (!valid_topic_filter(good))
            fail_msg("'%s' should be valid", good);
    for (const char* bad : {"", "a/#/c", "a#", "a+/b", "a/b+", "#/a", "a/##"})
        if (valid_topic_filter(bad))
            fail_msg("'%s' should be invalid", bad);
    assert_false(valid_topic_filter(std::string(257, 'a')));
    assert_false(valid_topic_filter(std::string_view("a\0b", 3)));
}

void every_kind_reaches_exactly_its_seed_topics(void**) {
    struct Case {
        const char* kind;
        const char* prefix;
        Access access;
        const char* topic;
        bool allowed;
    } cases[] = {
        {"vending", "vm/VM01", Access::write, "vm/VM01/telemetry", true},
        {"vending", "vm/VM01", Access::write, "vm/VM01/status", true},
        {"vending", "vm/VM01", Access::write, "vm/VM01/dispense_result", true},
        {"vending", "vm/VM01", Access::write, "vm/VM01/command", false},
        {"vending", "vm/VM01", Access::subscribe, "vm/VM01/command", true},
        {"vending", "vm/VM01", Access::subscribe, "vm/VM01/config", true},
        {"vending", "vm/VM01", Access::read, "vm/VM01/config", true},
        {"vending", "vm/VM01", Access::subscribe, "vm/VM01/#", false},
        {"vending", "vm/VM01", Access::subscribe, "vm/+/command", false},
        {"vending", "vm/VM01", Access::write, "vm/VM02/dispense_result", false},
        {"parcel-box", "smartparcel/box-01", Access::write, "smartparcel/box-01/sensor/distance",
         true},
        {"parcel-box", "smartparcel/box-01", Access::write, "smartparcel/box-01/photo/status",
         true},
        {"parcel-box", "smartparcel/box-01", Access::write, "smartparcel/box-01/settings/cur",
         true},
        {"parcel-box", "smartparcel/box-01", Access::write, "smartparcel/box-01/settings/set",
         false},
        {"parcel-box", "smartparcel/box-01", Access::subscribe, "smartparcel/box-01/settings/set",
         true},
        {"parcel-box", "smartparcel/box-01", Access::subscribe, "smartparcel/box-01/control", true},
        {"parcel-box", "smartparcel/box-01", Access::subscribe, "smartparcel/box-01/settings/+",
         false},
        {"parcel-box", "smartparcel/box-01", Access::write, "smartparcel/lock/status", false},
        {"door-lock", "smartparcel/lock", Access::write, "smartparcel/lock/status", true},
        {"door-lock", "smartparcel/lock", Access::write, "smartparcel/lock/alert", true},
        {"door-lock", "smartparcel/lock", Access::write, "smartparcel/lock/pin/attempt", true},
        {"door-lock", "smartparcel/lock", Access::subscribe, "smartparcel/lock/pin/verdict", true},
        {"door-lock", "smartparcel/lock", Access::subscribe, "smartparcel/lock/pin", false},
        {"door-lock", "smartparcel/lock", Access::subscribe, "smartparcel/lock/control", true},
        {"env-sensor", "home/esp32_dht11_001", Access::write, "home/esp32_dht11_001/status", true},
        {"env-sensor", "home/esp32_dht11_001", Access::write, "home/esp32_dht11_001/reading", true},
        {"env-sensor", "home/esp32_dht11_001", Access::subscribe, "home/esp32_dht11_001/command",
         true},
        {"relay", "relay/441D64BE2208", Access::write, "relay/441D64BE2208/state", true},
        {"relay", "relay/441D64BE2208", Access::subscribe, "relay/441D64BE2208/command", true},
        {"relay", "relay/441D64BE2208", Access::write, "relay/441D64BE2208/command", false},
        {"hydro-sensor", "hydro/pi-1", Access::subscribe, "$share/g/hydro/pi-1/config", true},
        {"hydro-sensor", "hydro/pi-1", Access::subscribe, "$share/g/hydro/pi-2/config", false},
    };
    for (const Case& c : cases) {
        const KindSpec* kind = find_kind(c.kind);
        assert_non_null(kind);
        if (device_may(*kind, c.prefix, c.access, c.topic) != c.allowed)
            fail_msg("%s %s access %d to %s should be %d", c.kind, c.prefix,
                     static_cast<int>(c.access), c.topic, c.allowed);
    }
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
    for (const char* bad : {"", "a+b", "a#", "a/b", "$SYS", "pi 1", "pi.1", "ü", "auto-1", "a:b"})
        assert_false(valid_device_id(bad));
    assert_true(valid_device_id(std::string(64, 'a')));
    assert_false(valid_device_id(std::string(65, 'a')));
}

// Issue #21 item 3: every device id is on the device side; ids with a ':' and the broker's
// assigned ones never are, and only those make a claimant's id.
void client_ids_are_split_between_devices_and_everyone_else(void**) {
    for (const char* device_side : {"pi-1", "441D64BE2208", "probe-lock", "ESP Client", "auto"})
        assert_true(device_side_client_id(device_side));
    for (const char* other : {"app:alice", "boot:441D64BE2208", ":", "auto-4B1C0000-0000", "auto-"})
        assert_false(device_side_client_id(other));
    assert_true(valid_claimant_client_id("boot:441D64BE2208"));
    assert_true(valid_claimant_client_id("auto-4B1C0000-0000-0000-0000-000000000000"));
    for (const char* bad : {"", "boot-441D64BE2208", "441D64BE2208", "boot:a/b", "boot:+", "boot:#",
                            "boot:a b", "boot:ü"})
        assert_false(valid_claimant_client_id(bad));
    assert_true(valid_claimant_client_id("boot:" + std::string(59, 'a')));
    assert_false(valid_claimant_client_id("boot:" + std::string(60, 'a')));
}

void app_users_and_integrations_use_their_own_client_ids(void**) {
    assert_true(own_client_id("app", "alice", "app:alice"));
    assert_true(own_client_id("app", "alice", "app:alice:phone"));
    assert_true(own_client_id("app", "alice", "auto-4B1C0000-0000"));
    assert_false(own_client_id("app", "alice", "app:alice2")); // another user's
    assert_false(own_client_id("app", "alice", "app:bob"));
    assert_false(own_client_id("app", "alice", "alice")); // the device side
    assert_false(own_client_id("app", "alice", "integration:alice"));
    assert_false(own_client_id("app", "alice", "apps:alice"));
    assert_false(own_client_id("app", "", "app:"));
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
    for (const char* name :
         {"vending", "parcel-box", "door-lock", "env-sensor", "hydro-sensor", "relay"})
        assert_non_null(find_kind(name));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(device_publishes_only_its_kinds_subtopics_under_its_prefix),
        cmocka_unit_test(prefix_is_matched_by_whole_levels),
        cmocka_unit_test(client_ids_are_split_between_devices_and_everyone_else),
        cmocka_unit_test(app_users_and_integrations_use_their_own_client_ids),
        cmocka_unit_test(filters_within_filters),
        cmocka_unit_test(integrations_read_only_within_their_filters),
        cmocka_unit_test(admins_read_device_topics_and_never_write),
        cmocka_unit_test(topic_filters_are_validated),
        cmocka_unit_test(every_kind_reaches_exactly_its_seed_topics),
        cmocka_unit_test(device_reads_and_subscribes_only_to_its_commands_without_wildcards),
        cmocka_unit_test(device_ids_exclude_wildcards_separators_and_dollar),
        cmocka_unit_test(topic_prefixes_are_plain_levels),
        cmocka_unit_test(kinds_are_looked_up_by_name),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
