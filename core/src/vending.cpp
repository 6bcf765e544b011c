#include "sarang/vending.hpp"

#include "sarang/crypto.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sarang::vending {
namespace {

struct Move {
    std::string_view from, to;
};
constexpr std::array<Move, 9> moves = {{
    {"PENDING", "PAID"},
    {"PENDING", "FAILED"},
    {"PAID", "DISPENSING"},
    {"PAID", "REFUNDED"},
    {"PAID", "FAILED"},
    {"DISPENSING", "COMPLETED"},
    {"DISPENSING", "FAILED"},
    {"FAILED", "REFUNDED"},
    {"COMPLETED", "REFUNDED"},
}};

// A JSON integer, or a JSON real with no fraction (JavaScript firmware sends 1850.0).
std::optional<long long> whole_number(const json_t* value) {
    if (json_is_integer(value))
        return json_integer_value(value);
    if (json_is_real(value)) {
        double number = json_real_value(value);
        if (number >= -9.0e15 && number <= 9.0e15 && number == static_cast<long long>(number))
            return static_cast<long long>(number);
    }
    return std::nullopt;
}

} // namespace

bool valid_order_id(std::string_view id) {
    if (id.empty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
               c == '-';
    });
}

bool order_may_change(std::string_view from, std::string_view to) {
    if (from == to)
        return true;
    return std::any_of(moves.begin(), moves.end(),
                       [&](const Move& move) { return move.from == from && move.to == to; });
}

std::optional<DispenseResult> parse_dispense_result(std::string_view payload,
                                                    std::string& problem) {
    std::string error;
    json::Ptr root = json::parse(payload, error);
    if (!root || !json_is_object(root.get())) {
        problem = "not a JSON object";
        return std::nullopt;
    }
    DispenseResult result;
    const json_t* order_id = json_object_get(root.get(), "orderId");
    if (!json_is_string(order_id) || !valid_order_id(json_string_value(order_id))) {
        problem = "orderId must be an order id (1-64 of A-Z a-z 0-9 _ . : -)";
        return std::nullopt;
    }
    result.order_id = json_string_value(order_id);
    std::optional<long long> slot = whole_number(json_object_get(root.get(), "slot"));
    if (!slot || *slot < 1 || *slot > 255) {
        problem = "slot must be a whole number 1-255";
        return std::nullopt;
    }
    result.slot = *slot;
    const json_t* success = json_object_get(root.get(), "success");
    if (!json_is_boolean(success)) {
        problem = "success must be true or false";
        return std::nullopt;
    }
    result.success = json_is_true(success);
    const json_t* drop = json_object_get(root.get(), "dropDetected");
    if (drop != nullptr && !json_is_null(drop)) {
        if (!json_is_boolean(drop)) {
            problem = "dropDetected must be true or false";
            return std::nullopt;
        }
        result.drop_detected = json_is_true(drop);
    }
    const json_t* duration = json_object_get(root.get(), "durationMs");
    if (duration != nullptr && !json_is_null(duration)) {
        std::optional<long long> ms = whole_number(duration);
        if (!ms || *ms < 0 || *ms > 3600000) {
            problem = "durationMs must be a whole number 0-3600000";
            return std::nullopt;
        }
        result.duration_ms = *ms;
    }
    const json_t* text = json_object_get(root.get(), "error");
    if (text != nullptr && !json_is_null(text)) {
        if (!json_is_string(text) || json_string_length(text) > 500) {
            problem = "error must be null or a string of at most 500 characters";
            return std::nullopt;
        }
        if (json_string_length(text) > 0)
            result.error = json_string_value(text);
    }
    return result;
}

ResultOutcome classify_result(const std::optional<OrderView>& order, std::string_view machine_id,
                              const DispenseResult& result) {
    if (!order)
        return ResultOutcome::unknown_order;
    if (order->machine_id != machine_id)
        return ResultOutcome::other_machine;
    if (order->slot != result.slot)
        return ResultOutcome::wrong_slot;
    if (!order->has_dispense)
        return ResultOutcome::not_dispensed;
    if (order->has_result)
        return ResultOutcome::duplicate;
    if (order->timed_out)
        return ResultOutcome::late;
    if (order->status == "DISPENSING")
        return ResultOutcome::apply;
    // A dispense log without result or timeout whose order left DISPENSING (an operator
    // refunded it): record it as late, never settle twice.
    return ResultOutcome::late;
}

std::string_view outcome_name(ResultOutcome outcome) {
    switch (outcome) {
    case ResultOutcome::apply:
        return "applied";
    case ResultOutcome::late:
        return "late";
    case ResultOutcome::duplicate:
        return "duplicate";
    case ResultOutcome::unknown_order:
        return "unknown order";
    case ResultOutcome::other_machine:
        return "order of another machine";
    case ResultOutcome::wrong_slot:
        return "slot does not match the order";
    case ResultOutcome::not_dispensed:
        return "order was never dispensed";
    }
    return "?";
}

std::string midtrans_signature(std::string_view order_id, std::string_view status_code,
                               std::string_view gross_amount, std::string_view server_key) {
    std::string input;
    input.reserve(order_id.size() + status_code.size() + gross_amount.size() + server_key.size());
    input.append(order_id).append(status_code).append(gross_amount).append(server_key);
    return crypto::sha512_hex(input);
}

bool midtrans_signature_valid(std::string_view signature_key, std::string_view order_id,
                              std::string_view status_code, std::string_view gross_amount,
                              std::string_view server_key) {
    if (server_key.empty())
        return false;
    std::string given(signature_key);
    std::transform(given.begin(), given.end(), given.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return crypto::constant_time_equal(
        given, midtrans_signature(order_id, status_code, gross_amount, server_key));
}

std::optional<long long> parse_gross_amount(std::string_view text) {
    std::size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    if (whole.empty() || whole.size() > 15)
        return std::nullopt;
    long long value = 0;
    for (char c : whole) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (dot != std::string_view::npos) {
        std::string_view fraction = text.substr(dot + 1);
        if (fraction.empty() || fraction.size() > 2)
            return std::nullopt;
        for (char c : fraction) {
            if (c != '0')
                return std::nullopt; // IDR has no minor unit; refuse rather than round
        }
    }
    return value;
}

PaymentEvent payment_event(std::string_view transaction_status, std::string_view fraud_status) {
    if (transaction_status == "settlement")
        return PaymentEvent::paid;
    if (transaction_status == "capture")
        return fraud_status == "accept" || fraud_status.empty() ? PaymentEvent::paid
                                                                : PaymentEvent::pending;
    if (transaction_status == "pending" || transaction_status == "authorize")
        return PaymentEvent::pending;
    if (transaction_status == "expire" || transaction_status == "cancel" ||
        transaction_status == "deny" || transaction_status == "failure")
        return PaymentEvent::failed;
    // A partial refund is recorded; the order keeps its status.
    if (transaction_status == "refund")
        return PaymentEvent::refunded;
    return PaymentEvent::ignored;
}

json::Ptr dispense_command(long long slot, std::string_view order_id, long long timeout_ms) {
    json::Ptr command = json::own(json_object());
    json::set(command.get(), "cmd", json::own(json_string("dispense")));
    json::set(command.get(), "slot", json::own(json_integer(slot)));
    json::set(command.get(), "orderId", json::own(json_stringn(order_id.data(), order_id.size())));
    json::set(command.get(), "timeoutMs", json::own(json_integer(timeout_ms)));
    return command;
}

} // namespace sarang::vending
