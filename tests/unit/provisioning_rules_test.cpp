// The pure parts of provisioning: the MAC-based id, label PINs and the claimant's two topics.
#include "claim_topics.hpp"
#include "sarang/provisioning.hpp"

#include "cmocka.hpp"

using namespace sarang;

namespace {

void mac_ids_are_normalised_like_the_seed_firmware(void**) {
    assert_string_equal(provisioning::normalize_device_id("44:1d:64:be:22:08")->c_str(),
                        "441D64BE2208");
    assert_string_equal(provisioning::normalize_device_id("441D64BE2208")->c_str(), "441D64BE2208");
    assert_false(provisioning::normalize_device_id("441D64BE220").has_value());
    assert_false(provisioning::normalize_device_id("441D64BE22088").has_value());
    assert_false(provisioning::normalize_device_id("441D64BE22G8").has_value());
    assert_false(provisioning::normalize_device_id("44-1D-64-BE-22-08").has_value());
    assert_false(provisioning::normalize_device_id("pi-1").has_value());
    assert_false(provisioning::normalize_device_id("").has_value());
}

void label_pins_are_4_to_32_letters_and_digits(void**) {
    assert_false(provisioning::label_pin_problem("4821").has_value());
    assert_false(provisioning::label_pin_problem("A1b2C3d4").has_value());
    assert_true(provisioning::label_pin_problem("123").has_value());
    assert_true(provisioning::label_pin_problem(std::string(33, '1')).has_value());
    assert_true(provisioning::label_pin_problem("12 34").has_value());
    assert_true(provisioning::label_pin_problem("12\"34").has_value());
}

void a_claimant_owns_exactly_two_topics(void**) {
    using namespace sarang::provision;
    assert_string_equal(request_topic("boot:1").c_str(), "sarang/provision/boot:1/request");
    assert_true(is_request_topic("sarang/provision/boot:1/request", "boot:1"));
    assert_true(is_response_topic("sarang/provision/boot:1/response", "boot:1"));
    assert_false(is_request_topic("sarang/provision/boot:1/response", "boot:1"));
    assert_false(is_request_topic("sarang/provision/boot:12/request", "boot:1"));
    assert_false(is_request_topic("sarang/provision/boot:1/request/x", "boot:1"));
    assert_false(is_request_topic("sarang/provision/boot:1", "boot:1"));
    assert_false(is_response_topic("sarang/provision/+/response", "boot:1"));
    assert_false(is_response_topic("sarang/provision/#", "boot:1"));
    assert_false(is_request_topic("sarang/provision//request", ""));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(mac_ids_are_normalised_like_the_seed_firmware),
        cmocka_unit_test(label_pins_are_4_to_32_letters_and_digits),
        cmocka_unit_test(a_claimant_owns_exactly_two_topics),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
