#include "vending/orders.hpp"

#include "commands/outbox.hpp"
#include "http_error.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/vending.hpp"
#include "time_text.hpp"
#include "vending/cells.hpp"

namespace sarang::http {

std::string order_columns() {
    return "o.id, o.machine_id, o.slot_number, o.product_id, o.amount, o.currency, o.status,"
           " o.error, " +
           iso8601_sql("o.created_at") + ", " + iso8601_sql("o.paid_at") + ", " +
           iso8601_sql("o.dispensing_at") + ", " + iso8601_sql("o.dispensed_at") + ", " +
           iso8601_sql("o.failed_at") + ", " + iso8601_sql("o.refunded_at") + ", d.command_id, " +
           iso8601_sql("d.command_sent_at") + ", " + iso8601_sql("d.result_at") +
           ", d.success, d.drop_detected, d.duration_ms, d.error," + " d.late, d.timeout_ms";
}

json::Ptr order_json(const pg::Result& rows, int row) {
    json::Ptr order = json::own(json_object());
    json::set(order.get(), "id", cells::text(rows, row, 0));
    json::set(order.get(), "machine_id", cells::text(rows, row, 1));
    json::set(order.get(), "slot", cells::integer(rows, row, 2));
    json::set(order.get(), "product_id", cells::integer(rows, row, 3));
    json::set(order.get(), "amount", cells::integer(rows, row, 4));
    json::set(order.get(), "currency", cells::text(rows, row, 5));
    json::set(order.get(), "status", cells::text(rows, row, 6));
    json::set(order.get(), "error", cells::text(rows, row, 7));
    const char* times[] = {"created_at",   "paid_at",   "dispensing_at",
                           "dispensed_at", "failed_at", "refunded_at"};
    for (int i = 0; i < 6; ++i)
        json::set(order.get(), times[i], cells::text(rows, row, 8 + i));
    if (rows.is_null(row, 14) && rows.is_null(row, 15)) {
        json::set(order.get(), "dispense", json::own(json_null()));
        return order;
    }
    json::Ptr dispense = json::own(json_object());
    json::set(dispense.get(), "command_id", cells::text(rows, row, 14));
    json::set(dispense.get(), "command_sent_at", cells::text(rows, row, 15));
    json::set(dispense.get(), "result_at", cells::text(rows, row, 16));
    json::set(dispense.get(), "success", cells::boolean(rows, row, 17));
    json::set(dispense.get(), "dropDetected", cells::boolean(rows, row, 18));
    json::set(dispense.get(), "durationMs", cells::integer(rows, row, 19));
    json::set(dispense.get(), "error", cells::text(rows, row, 20));
    json::set(dispense.get(), "late", cells::boolean(rows, row, 21));
    json::set(dispense.get(), "timeoutMs", cells::integer(rows, row, 22));
    json::set(order.get(), "dispense", std::move(dispense));
    return order;
}

json::Ptr load_order(pg::Transaction& transaction, const std::string& id) {
    pg::Result rows = transaction.exec("SELECT " + order_columns() +
                                           " FROM orders o LEFT JOIN dispense_logs d"
                                           " ON d.order_id = o.id WHERE o.id = $1",
                                       {id});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no order " + id);
    return order_json(rows, 0);
}

json::Ptr start_dispense(pg::Transaction& transaction, const VendingSettings& settings,
                         const std::string& order_id, long long timeout_ms,
                         std::optional<long long> created_by) {
    long long deadline_ms = timeout_ms + settings.result_grace_ms;
    pg::Result started = transaction.exec(
        "UPDATE orders SET status = 'DISPENSING', dispensing_at = now(),"
        " dispense_deadline = now() + make_interval(secs => $2::double precision / 1000)"
        " WHERE id = $1 AND status = 'PAID' RETURNING machine_id, slot_number",
        {order_id, std::to_string(deadline_ms)});
    if (started.rows() != 1) {
        pg::Result order = transaction.exec("SELECT status FROM orders WHERE id = $1", {order_id});
        if (order.rows() != 1)
            throw HttpError(404, "not_found", "no order " + order_id);
        throw HttpError(409, "order_not_paid",
                        "order " + order_id + " is " + std::string(order.text(0, 0)) +
                            "; only a PAID order can be dispensed");
    }
    std::string machine_id(started.text(0, 0));
    long long slot = started.integer(0, 1);
    pg::Result device = transaction.exec("SELECT kind FROM devices WHERE id = $1", {machine_id});
    const KindSpec* kind = device.rows() == 1 ? find_kind(device.text(0, 0)) : nullptr;
    if (kind == nullptr || kind->name != "vending")
        throw HttpError(409, "not_a_vending_machine", machine_id + " is not a vending machine");
    json::Ptr payload = vending::dispense_command(slot, order_id, timeout_ms);
    // The command expires with the order's deadline: a machine that was away never dispenses an
    // order that has already failed.
    NewCommand command{machine_id, kind, "command", payload.get(), (deadline_ms + 999) / 1000,
                       created_by};
    json::Ptr queued = enqueue_command(transaction, command);
    transaction.exec("INSERT INTO dispense_logs (order_id, machine_id, slot_number, command_id,"
                     " timeout_ms) VALUES ($1, $2, $3, $4::uuid, $5)",
                     {order_id, machine_id, std::to_string(slot),
                      std::string(json_string_value(json_object_get(queued.get(), "id"))),
                      std::to_string(timeout_ms)});
    return queued;
}

} // namespace sarang::http
