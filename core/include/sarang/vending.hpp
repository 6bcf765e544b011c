#pragma once
// Vending rules shared by the sidecar (payments, dispense) and plugins/vending (results): the
// order state machine, the machine's dispense_result, what a result may change, the Midtrans
// notification signature and amounts. Pure: no I/O, unit-tested in vending_rules_test.
// docs/vending.md explains the flow.
#include "sarang/json.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sarang::vending {

// Order ids are the seed's text ids ("ORD123456", "test-order-123"): sql/0009's CHECK.
bool valid_order_id(std::string_view id);

// The order state machine (sql/0009_vending.sql enforces the same in a trigger).
bool order_may_change(std::string_view from, std::string_view to);

// {"orderId","slot","success","dropDetected","durationMs","error"} as the machine sends it.
struct DispenseResult {
    std::string order_id;
    long long slot = 0;
    bool success = false;
    std::optional<bool> drop_detected;
    std::optional<long long> duration_ms;
    std::optional<std::string> error; // null or absent: nullopt
};

// nullopt and `problem` naming the field when the payload is not a well-formed result.
std::optional<DispenseResult> parse_dispense_result(std::string_view payload, std::string& problem);

// The order a result names, as the result writer reads it under a row lock.
struct OrderView {
    std::string machine_id;
    long long slot = 0;
    std::string status;
    bool has_dispense = false; // a dispense log exists (a command was queued)
    bool has_result = false;   // the dispense log already holds a result
    bool timed_out = false;    // the deadline failed the order before any result
};

enum class ResultOutcome {
    apply,         // DISPENSING: settles the order (COMPLETED or FAILED), stock on success
    late,          // after the timeout: recorded on the dispense log, the order stays as it is
    duplicate,     // the dispense log already has a result: nothing changes
    unknown_order, // rejected
    other_machine, // rejected: the order belongs to another machine
    wrong_slot,    // rejected: the order's slot is another one
    not_dispensed, // rejected: no dispense command was ever queued for the order
};

// What a result from `machine_id` does to `order` (nullopt: no such order).
ResultOutcome classify_result(const std::optional<OrderView>& order, std::string_view machine_id,
                              const DispenseResult& result);
std::string_view outcome_name(ResultOutcome outcome);

// Midtrans: signature_key = SHA512(order_id + status_code + gross_amount + server_key), hex.
std::string midtrans_signature(std::string_view order_id, std::string_view status_code,
                               std::string_view gross_amount, std::string_view server_key);
// Constant-time comparison against the expected signature (case-insensitive hex).
bool midtrans_signature_valid(std::string_view signature_key, std::string_view order_id,
                              std::string_view status_code, std::string_view gross_amount,
                              std::string_view server_key);

// "10000.00" -> 10000. Whole amounts only (a non-zero fraction, a sign or junk: nullopt).
std::optional<long long> parse_gross_amount(std::string_view text);

// What a notification means for the order.
enum class PaymentEvent { paid, pending, failed, refunded, ignored };
PaymentEvent payment_event(std::string_view transaction_status, std::string_view fraud_status);

// The seed's command: {"cmd":"dispense","slot":1,"orderId":"ORD123456","timeoutMs":2150}.
json::Ptr dispense_command(long long slot, std::string_view order_id, long long timeout_ms);

} // namespace sarang::vending
