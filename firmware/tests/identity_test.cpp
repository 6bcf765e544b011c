#include "sarang_fw/device_id.hpp"
#include "sarang_fw/kinds.hpp"

#include "cmocka.hpp"

using namespace sarang_fw;

namespace {

void a_mac_becomes_the_same_id_however_written(void**) {
    for (const char* mac :
         {"44:1d:64:be:22:08", "44:1D:64:BE:22:08", "441d64be2208", "44-1d-64-be-22-08"})
        assert_text_equal(*device_id_from_mac(mac), "441D64BE2208");
    assert_text_equal(device_id_from_mac({0x44, 0x1d, 0x64, 0xbe, 0x22, 0x08}), "441D64BE2208");
}

void anything_else_is_not_a_mac(void**) {
    for (const char* bad : {"", "441D64BE22", "441D64BE220811", "44:1D:64:BE:22:0G",
                            "4:41D:64:BE:22:08", "44::1D64BE2208", "pi-1"})
        assert_false(device_id_from_mac(bad).has_value());
}

void device_ids_follow_the_brokers_alphabet(void**) {
    assert_true(valid_device_id("pi-51"));
    assert_true(valid_device_id("esp32_dht11_001"));
    assert_false(valid_device_id(""));
    assert_false(valid_device_id("a/b"));
    assert_false(valid_device_id("a+"));
    assert_false(valid_device_id(std::string(65, 'a')));
}

void topics_are_built_from_prefix_and_kind(void**) {
    assert_text_equal(default_prefix(*find_kind("hydro-sensor"), "pi-1"), "hydro/pi-1");
    assert_text_equal(default_prefix(*find_kind("vending"), "VM01"), "vm/VM01");
    assert_text_equal(topic("smartparcel/box-01", "settings/set"),
                      "smartparcel/box-01/settings/set");
    assert_text_equal(subtopic_of("vm/VM01/command", "vm/VM01"), "command");
    assert_text_equal(subtopic_of("smartparcel/lock/pin/verdict", "smartparcel/lock"),
                      "pin/verdict");
    assert_true(subtopic_of("vm/VM010/command", "vm/VM01").empty());
    assert_true(subtopic_of("vm/VM01", "vm/VM01").empty());
    assert_text_equal(claim_request_topic("boot:441D64BE2208"),
                      "sarang/provision/boot:441D64BE2208/request");
    assert_text_equal(claim_response_topic("boot:441D64BE2208"),
                      "sarang/provision/boot:441D64BE2208/response");
    assert_null(find_kind("toaster"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_mac_becomes_the_same_id_however_written),
        cmocka_unit_test(anything_else_is_not_a_mac),
        cmocka_unit_test(device_ids_follow_the_brokers_alphabet),
        cmocka_unit_test(topics_are_built_from_prefix_and_kind),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
