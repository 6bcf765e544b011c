// POST /api/payments/webhook: Midtrans-style payment notifications (seed 001, docs/vending.md).
//
// Verified before anything is read from the database: signature_key must equal
// SHA512(order_id + status_code + gross_amount + vending.midtrans_server_key), compared in
// constant time; otherwise 401 and nothing is written. While the server key is unset every
// notification is refused (503): there is no default secret. The key is read as sarang.conf has
// it now (vending/server_key.hpp), so `sarangctl payments set-key` needs no restart.
//
// Idempotent: a notification is one payments row per (order, transaction_status); a repeat
// finds it and changes nothing (200 "duplicate", so the gateway stops retrying). The order only
// moves WHERE status = <expected>:
//   settlement, capture (fraud accept) -> PAID, then DISPENSING with the dispense command queued
//                                          in the same transaction (vending.dispense_on_payment)
//   expire, cancel, deny, failure       -> FAILED "payment <status>" (from PENDING or PAID)
//   refund                              -> REFUNDED (from PAID, FAILED or COMPLETED)
//   pending, authorize, challenge, else -> recorded only
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "sarang/log.hpp"
#include "sarang/vending.hpp"
#include "vending/orders.hpp"
#include "vending/server_key.hpp"

namespace sarang::http {
namespace {

struct Notification {
    std::string order_id, status_code, gross_amount, signature_key, transaction_status;
    std::optional<std::string> fraud_status, transaction_id, payment_type;
};

// 1-max_length characters, each allowed by `allowed`.
bool shaped(std::string_view text, std::size_t max_length, bool (*allowed)(char)) {
    if (text.empty() || text.size() > max_length)
        return false;
    for (char c : text) {
        if (!allowed(c))
            return false;
    }
    return true;
}

bool status_word_char(char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
}

bool transaction_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool digit(char c) {
    return c >= '0' && c <= '9';
}

// The fields keep Midtrans's shapes even under a valid signature: they are stored, logged and
// compared, and a gateway never sends anything else (a 3-digit status code, lower-case status
// words, a UUID-like transaction id).
Notification read_notification(const json_t* body) {
    Notification n;
    n.order_id = required_string(body, "order_id");
    n.status_code = required_string(body, "status_code");
    n.gross_amount = required_string(body, "gross_amount");
    n.signature_key = required_string(body, "signature_key");
    n.transaction_status = required_string(body, "transaction_status");
    n.fraud_status = optional_string(body, "fraud_status");
    n.transaction_id = optional_string(body, "transaction_id");
    n.payment_type = optional_string(body, "payment_type");
    if (!vending::valid_order_id(n.order_id))
        fail_validation("order_id", "must be 1-64 of A-Z a-z 0-9 _ . : -");
    if (n.status_code.size() != 3 || !shaped(n.status_code, 3, digit))
        fail_validation("status_code", "must be 3 digits");
    if (!shaped(n.transaction_status, 32, status_word_char))
        fail_validation("transaction_status", "must be 1-32 of a-z _");
    if (n.fraud_status && !shaped(*n.fraud_status, 32, status_word_char))
        fail_validation("fraud_status", "must be 1-32 of a-z _");
    if (n.payment_type && !shaped(*n.payment_type, 32, status_word_char))
        fail_validation("payment_type", "must be 1-32 of a-z _");
    if (n.transaction_id && !shaped(*n.transaction_id, 100, transaction_id_char))
        fail_validation("transaction_id", "must be 1-100 of A-Z a-z 0-9 - _ .");
    return n;
}

// The order's move for this notification; false when its status did not allow it.
bool move_order(pg::Transaction& transaction, const Notification& n, vending::PaymentEvent event) {
    const char* sql = nullptr;
    switch (event) {
    case vending::PaymentEvent::paid:
        sql = "UPDATE orders SET status = 'PAID', paid_at = now()"
              " WHERE id = $1 AND status = 'PENDING'";
        break;
    case vending::PaymentEvent::failed:
        sql = "UPDATE orders SET status = 'FAILED', failed_at = now(), error = 'payment ' || $2"
              " WHERE id = $1 AND status IN ('PENDING', 'PAID')";
        break;
    case vending::PaymentEvent::refunded:
        sql = "UPDATE orders SET status = 'REFUNDED', refunded_at = now()"
              " WHERE id = $1 AND status IN ('PAID', 'FAILED', 'COMPLETED')";
        break;
    default:
        return true;
    }
    pg::Params params = {n.order_id};
    if (event == vending::PaymentEvent::failed)
        params.push_back(n.transaction_status);
    return transaction.exec(sql, params).affected() == 1;
}

Response answer(const char* status, json::Ptr order, json::Ptr dispense) {
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "status", json::own(json_string(status)));
    json::set(body.get(), "order", std::move(order));
    json::set(body.get(), "dispense", dispense ? std::move(dispense) : json::own(json_null()));
    return json_response(200, body.get());
}

Response payment_webhook(Services& services, const Request& request) {
    const VendingSettings& settings = services.vending;
    const std::string server_key = services.server_key != nullptr
                                       ? services.server_key->current()
                                       : services.vending.midtrans_server_key;
    if (server_key.empty())
        throw HttpError(503, "payments_not_configured",
                        "payments are not configured: sarangctl payments set-key");
    json::Ptr body = json_object_body(request);
    Notification n = read_notification(body.get());
    if (!vending::midtrans_signature_valid(n.signature_key, n.order_id, n.status_code,
                                           n.gross_amount, server_key)) {
        LOG_WARN("payments", "refused notification for order '%s' from %s: bad signature",
                 n.order_id.c_str(), request.client_address.c_str());
        throw HttpError(401, "invalid_signature", "signature_key does not match");
    }
    std::optional<long long> amount = vending::parse_gross_amount(n.gross_amount);
    if (!amount)
        fail_validation("gross_amount", "must be a whole amount such as \"10000.00\"");
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    pg::Result order = transaction.exec(
        "SELECT status, amount FROM orders WHERE id = $1 FOR UPDATE", {n.order_id});
    if (order.rows() != 1)
        throw HttpError(404, "not_found", "no order " + n.order_id);
    if (order.integer(0, 1) != *amount)
        fail_validation("gross_amount", "does not match the order's amount");
    pg::Result inserted = transaction.exec(
        "INSERT INTO payments (order_id, provider, transaction_status, transaction_id,"
        " status_code, fraud_status, gross_amount, payment_type, payload)"
        " VALUES ($1, 'midtrans', $2, $3, $4, $5, $6, $7, $8::jsonb)"
        " ON CONFLICT (order_id, provider, transaction_status) DO NOTHING RETURNING id",
        {n.order_id, n.transaction_status, n.transaction_id, n.status_code, n.fraud_status,
         std::to_string(*amount), n.payment_type, json::dump(body.get())});
    if (inserted.rows() == 0)
        return answer("duplicate", load_order(transaction, n.order_id), nullptr);
    vending::PaymentEvent event =
        vending::payment_event(n.transaction_status, n.fraud_status.value_or(""));
    json::Ptr dispense;
    if (!move_order(transaction, n, event)) {
        // Recorded, order untouched: e.g. a settlement for an order whose payment had expired.
        LOG_WARN("payments", "order %s is %s; '%s' recorded without changing it",
                 n.order_id.c_str(), std::string(order.text(0, 0)).c_str(),
                 n.transaction_status.c_str());
    } else if (event == vending::PaymentEvent::paid && settings.dispense_on_payment) {
        dispense = start_dispense(transaction, settings, n.order_id, settings.dispense_timeout_ms,
                                  std::nullopt);
    }
    json::Ptr shown = load_order(transaction, n.order_id);
    transaction.commit();
    LOG_INFO("payments", "order %s: %s", n.order_id.c_str(), n.transaction_status.c_str());
    return answer("ok", std::move(shown), std::move(dispense));
}

} // namespace

void add_vending_payment_routes(Router& router, Services& services) {
    router.add("POST", "/api/payments/webhook",
               Access::anyone("Midtrans signature, checked by the handler"),
               bound(services, payment_webhook));
}

} // namespace sarang::http
