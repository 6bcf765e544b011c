// The vending rules without servers: the Midtrans signature, amounts, what a notification
// means, the order state machine, parsing a dispense_result and what a result may change.
#include "sarang/vending.hpp"

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::vending;

namespace {

// printf '%s' 'ORD123456200100000.00SB-Mid-server-TEST' | sha512sum
const char* known_signature = "0334bf932cb4ba78c08ca22b5808ddfab7e46bb39af8202014041203fd19a90e"
                              "43a1c28b091d905b4c867233dcaf084efa5dd23b71960cdc15217270156be214";

void the_signature_is_sha512_of_the_four_fields(void**) {
    assert_string_equal(
        midtrans_signature("ORD123456", "200", "100000.00", "SB-Mid-server-TEST").c_str(),
        known_signature);
    assert_true(midtrans_signature_valid(known_signature, "ORD123456", "200", "100000.00",
                                         "SB-Mid-server-TEST"));
    std::string upper(known_signature);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    assert_true(
        midtrans_signature_valid(upper, "ORD123456", "200", "100000.00", "SB-Mid-server-TEST"));
    // Any field changed, or no key configured: refused.
    assert_false(midtrans_signature_valid(known_signature, "ORD123457", "200", "100000.00",
                                          "SB-Mid-server-TEST"));
    assert_false(midtrans_signature_valid(known_signature, "ORD123456", "201", "100000.00",
                                          "SB-Mid-server-TEST"));
    assert_false(midtrans_signature_valid(known_signature, "ORD123456", "200", "100000",
                                          "SB-Mid-server-TEST"));
    assert_false(
        midtrans_signature_valid(known_signature, "ORD123456", "200", "100000.00", "other-key"));
    assert_false(midtrans_signature_valid(known_signature, "ORD123456", "200", "100000.00", ""));
    assert_false(
        midtrans_signature_valid("", "ORD123456", "200", "100000.00", "SB-Mid-server-TEST"));
}

void amounts_are_whole_numbers(void**) {
    assert_int_equal(*parse_gross_amount("10000.00"), 10000);
    assert_int_equal(*parse_gross_amount("10000"), 10000);
    assert_int_equal(*parse_gross_amount("0.0"), 0);
    assert_false(parse_gross_amount("10000.50").has_value());
    assert_false(parse_gross_amount("-5").has_value());
    assert_false(parse_gross_amount("1e4").has_value());
    assert_false(parse_gross_amount("").has_value());
    assert_false(parse_gross_amount(".00").has_value());
    assert_false(parse_gross_amount("10000.").has_value());
    assert_false(parse_gross_amount("9999999999999999").has_value());
}

void notifications_map_to_order_events(void**) {
    assert_true(payment_event("settlement", "") == PaymentEvent::paid);
    assert_true(payment_event("capture", "accept") == PaymentEvent::paid);
    assert_true(payment_event("capture", "challenge") == PaymentEvent::pending);
    assert_true(payment_event("pending", "") == PaymentEvent::pending);
    for (const char* status : {"expire", "cancel", "deny", "failure"})
        assert_true(payment_event(status, "") == PaymentEvent::failed);
    assert_true(payment_event("refund", "") == PaymentEvent::refunded);
    assert_true(payment_event("partial_refund", "") == PaymentEvent::ignored);
    assert_true(payment_event("something-new", "") == PaymentEvent::ignored);
}

void orders_only_move_forward(void**) {
    assert_true(order_may_change("PENDING", "PAID"));
    assert_true(order_may_change("PENDING", "FAILED"));
    assert_true(order_may_change("PAID", "DISPENSING"));
    assert_true(order_may_change("DISPENSING", "COMPLETED"));
    assert_true(order_may_change("DISPENSING", "FAILED"));
    assert_true(order_may_change("FAILED", "REFUNDED"));
    assert_true(order_may_change("COMPLETED", "COMPLETED"));
    assert_false(order_may_change("PENDING", "DISPENSING")); // never unpaid
    assert_false(order_may_change("COMPLETED", "FAILED"));
    assert_false(order_may_change("FAILED", "COMPLETED")); // a late result does not revive it
    assert_false(order_may_change("DISPENSING", "PAID"));
    assert_false(order_may_change("REFUNDED", "PAID"));
}

void results_parse_as_the_seed_sends_them(void**) {
    std::string problem;
    std::optional<DispenseResult> ok = parse_dispense_result(
        R"({"orderId":"ORD123456","slot":1,"success":true,"dropDetected":true,)"
        R"("durationMs":1850,"error":null})",
        problem);
    assert_true(ok.has_value());
    assert_string_equal(ok->order_id.c_str(), "ORD123456");
    assert_int_equal(ok->slot, 1);
    assert_true(ok->success);
    assert_true(*ok->drop_detected);
    assert_int_equal(*ok->duration_ms, 1850);
    assert_false(ok->error.has_value());
    std::optional<DispenseResult> jam = parse_dispense_result(
        R"({"orderId":"A-1","slot":2.0,"success":false,"error":"motor jam"})", problem);
    assert_true(jam.has_value());
    assert_int_equal(jam->slot, 2);
    assert_string_equal(jam->error->c_str(), "motor jam");
    const char* bad[] = {
        "not json",
        "[]",
        R"({"slot":1,"success":true})",
        R"({"orderId":"a b","slot":1,"success":true})",
        R"({"orderId":"A","slot":0,"success":true})",
        R"({"orderId":"A","slot":1.5,"success":true})",
        R"({"orderId":"A","slot":1,"success":"yes"})",
        R"({"orderId":"A","slot":1})",
        R"({"orderId":"A","slot":1,"success":true,"durationMs":-1})",
        R"({"orderId":"A","slot":1,"success":true,"error":5})",
    };
    for (const char* payload : bad) {
        problem.clear();
        assert_false(parse_dispense_result(payload, problem).has_value());
        assert_false(problem.empty());
    }
}

void a_result_changes_only_its_own_dispensing_order_once(void**) {
    std::string problem;
    DispenseResult result =
        *parse_dispense_result(R"({"orderId":"O1","slot":3,"success":true})", problem);
    OrderView order{"VM01", 3, "DISPENSING", true, false, false};
    assert_true(classify_result(order, "VM01", result) == ResultOutcome::apply);
    assert_true(classify_result(std::nullopt, "VM01", result) == ResultOutcome::unknown_order);
    assert_true(classify_result(order, "VM02", result) == ResultOutcome::other_machine);
    OrderView slot4 = order;
    slot4.slot = 4;
    assert_true(classify_result(slot4, "VM01", result) == ResultOutcome::wrong_slot);
    OrderView paid{"VM01", 3, "PAID", false, false, false};
    assert_true(classify_result(paid, "VM01", result) == ResultOutcome::not_dispensed);
    OrderView done{"VM01", 3, "COMPLETED", true, true, false};
    assert_true(classify_result(done, "VM01", result) == ResultOutcome::duplicate);
    OrderView timed_out{"VM01", 3, "FAILED", true, false, true};
    assert_true(classify_result(timed_out, "VM01", result) == ResultOutcome::late);
    OrderView late_twice{"VM01", 3, "FAILED", true, true, true};
    assert_true(classify_result(late_twice, "VM01", result) == ResultOutcome::duplicate);
}

void the_dispense_command_is_the_seeds(void**) {
    json::Ptr command = dispense_command(1, "ORD123456", 2150);
    assert_string_equal(json::dump(command.get()).c_str(),
                        R"({"cmd":"dispense","slot":1,"orderId":"ORD123456","timeoutMs":2150})");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_signature_is_sha512_of_the_four_fields),
        cmocka_unit_test(amounts_are_whole_numbers),
        cmocka_unit_test(notifications_map_to_order_events),
        cmocka_unit_test(orders_only_move_forward),
        cmocka_unit_test(results_parse_as_the_seed_sends_them),
        cmocka_unit_test(a_result_changes_only_its_own_dispensing_order_once),
        cmocka_unit_test(the_dispense_command_is_the_seeds),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
