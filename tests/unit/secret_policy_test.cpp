#include "sarang/secret_policy.hpp"

#include "cmocka.hpp"

using namespace sarang;

namespace {

void passwords_need_length_and_three_classes(void**) {
    assert_true(password_problem("Short1!", "alice").has_value());      // 7 characters
    assert_true(password_problem("alllowercase", "alice").has_value()); // one class
    assert_true(password_problem("lowerUPPER", "alice").has_value());   // two classes
    assert_false(password_problem("lowerUPPER1", "alice").has_value()); // three
    assert_false(password_problem("lower-1234", "alice").has_value());  // lower, digit, other
    assert_false(password_problem("MySecure@Pass123", "admin").has_value());
    assert_true(password_problem(std::string(129, 'a') + "A1", "alice").has_value());
    // The seed's change-password accepted 6 characters; here the same rule holds everywhere.
    assert_true(password_problem("Ab1!xy", "alice").has_value());
}

void passwords_must_not_contain_the_username(void**) {
    assert_true(password_problem("xxAlice#2024", "alice").has_value());
    assert_true(password_problem("ADMIN-Pass1", "admin").has_value());
    assert_false(password_problem("Another#2024", "alice").has_value());
}

void pins_are_digits_of_the_right_length(void**) {
    assert_false(pin_problem("482915", first_setup_pin).has_value());
    assert_true(pin_problem("48291", first_setup_pin).has_value());
    assert_true(pin_problem("4829155", first_setup_pin).has_value());
    assert_false(pin_problem("4829", changed_pin).has_value());
    assert_false(pin_problem("48291573", changed_pin).has_value());
    assert_true(pin_problem("482", changed_pin).has_value());
    assert_true(pin_problem("482915736", changed_pin).has_value());
    assert_true(pin_problem("48a9", changed_pin).has_value());
    assert_true(pin_problem(" 4829", changed_pin).has_value());
    assert_true(pin_problem("", changed_pin).has_value());
    assert_text_equal(*pin_problem("12", first_setup_pin), "must be exactly 6 digits");
    assert_text_equal(*pin_problem("12", changed_pin), "must be 4 to 8 digits");
}

void trivial_pins_are_refused(void**) {
    assert_true(pin_problem("000000", first_setup_pin).has_value());
    assert_true(pin_problem("123456", first_setup_pin).has_value());
    assert_true(pin_problem("987654", first_setup_pin).has_value());
    assert_true(pin_problem("4321", changed_pin).has_value());
    assert_false(pin_problem("432432", first_setup_pin).has_value()); // the seed's own example
}

void one_time_passwords_pass_the_policy_and_differ(void**) {
    std::string previous;
    for (int i = 0; i < 200; ++i) {
        std::string password = generate_one_time_password();
        assert_int_equal(password.size(), 20);
        assert_false(password_problem(password, "admin").has_value());
        assert_true(password != previous);
        previous = password;
    }
}

void usernames_follow_the_table_check(void**) {
    assert_true(valid_username("admin"));
    assert_true(valid_username("a.b-c_d@e"));
    assert_false(valid_username("ab"));
    assert_false(valid_username(std::string(65, 'a')));
    assert_false(valid_username("with space"));
    assert_false(valid_username("plus+sign"));
    assert_false(valid_username("slash/"));
    assert_false(valid_username("hash#"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(passwords_need_length_and_three_classes),
        cmocka_unit_test(passwords_must_not_contain_the_username),
        cmocka_unit_test(pins_are_digits_of_the_right_length),
        cmocka_unit_test(trivial_pins_are_refused),
        cmocka_unit_test(one_time_passwords_pass_the_policy_and_differ),
        cmocka_unit_test(usernames_follow_the_table_check),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
