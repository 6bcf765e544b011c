// Vending orders (docs/vending.md), for the machine's owner or an admin.
//
//   POST /api/v1/vending/orders {"machine_id", "slot", "order_id"?, "paid"?}   201 PENDING order
//        for the slot at its price. Refused (409) when the slot is EMPTY by the machine's last
//        telemetry, or when its stock is taken by open orders (PENDING, PAID, DISPENSING hold
//        one item each). "paid": true (admins: a cash payment) creates it PAID, for
//        POST /api/dispense/trigger.
//   GET  /api/v1/vending/orders?machine_id=&status=&page=&page_size=   newest first
//   GET  /api/v1/vending/orders/{id}
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "pagination.hpp"
#include "sarang/crypto.hpp"
#include "sarang/vending.hpp"
#include "vending/orders.hpp"

namespace sarang::http {
namespace {

const std::string order_from = " FROM orders o LEFT JOIN dispense_logs d ON d.order_id = o.id"
                               " JOIN devices m ON m.id = o.machine_id";

std::string new_order_id() {
    std::vector<std::uint8_t> bytes = crypto::random_bytes(6);
    return "ORD" + crypto::hex_encode(bytes.data(), bytes.size());
}

Response create_order(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string machine_id = required_string(body.get(), "machine_id");
    long long slot = required_integer(body.get(), "slot", 1, 255);
    std::string order_id = optional_string(body.get(), "order_id").value_or(new_order_id());
    if (!vending::valid_order_id(order_id))
        fail_validation("order_id", "must be 1-64 of A-Z a-z 0-9 _ . : -");
    const json_t* paid = json_object_get(body.get(), "paid");
    if (paid != nullptr && !json_is_boolean(paid) && !json_is_null(paid))
        fail_validation("paid", "must be true or false");
    bool cash = json_is_true(paid);
    if (cash && !caller.admin())
        throw HttpError(403, "forbidden", "only an administrator can record a cash payment");
    VisibleDevice machine = visible_device(services, caller, machine_id);
    if (machine.kind_name != "vending")
        throw HttpError(404, "not_found", "no vending machine " + machine_id);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    // The slot row lock serialises orders for one slot, so two cannot take its last item.
    pg::Result found = transaction.exec(
        "SELECT s.price, s.product_id, s.stock, s.level,"
        " (SELECT count(*) FROM orders o WHERE o.machine_id = s.machine_id"
        "   AND o.slot_number = s.slot_number AND o.status IN ('PENDING', 'PAID', 'DISPENSING'))"
        " FROM slots s WHERE s.machine_id = $1 AND s.slot_number = $2 FOR UPDATE",
        {machine.id, std::to_string(slot)});
    if (found.rows() != 1)
        throw HttpError(404, "not_found",
                        "machine " + machine.id + " has no slot " + std::to_string(slot));
    if (found.text(0, 3) == "EMPTY")
        throw HttpError(409, "slot_empty",
                        "the machine reports slot " + std::to_string(slot) + " EMPTY");
    if (found.integer(0, 2) - found.integer(0, 4) <= 0)
        throw HttpError(409, "out_of_stock", "slot " + std::to_string(slot) + " has no stock left");
    pg::Result inserted = transaction.exec(
        "INSERT INTO orders (id, machine_id, slot_number, product_id, amount, status, paid_at,"
        " created_by) VALUES ($1, $2, $3, $4::bigint, $5, $6, CASE WHEN $6 = 'PAID' THEN now()"
        " END, $7) ON CONFLICT (id) DO NOTHING RETURNING id",
        {order_id, machine.id, std::to_string(slot),
         found.is_null(0, 1) ? std::nullopt : std::optional(std::string(found.text(0, 1))),
         std::string(found.text(0, 0)), cash ? "PAID" : "PENDING", std::to_string(caller.user_id)});
    if (inserted.rows() != 1)
        throw HttpError(409, "order_exists", "order " + order_id + " already exists");
    if (cash)
        transaction.exec("INSERT INTO payments (order_id, provider, transaction_status,"
                         " gross_amount) VALUES ($1, 'manual', 'settlement', $2)",
                         {order_id, std::string(found.text(0, 0))});
    json::Ptr order = load_order(transaction, order_id);
    transaction.commit();
    return json_response(201, order.get());
}

Response list_orders(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    std::optional<std::string> machine = query_text(request, "machine_id");
    std::optional<std::string> status = query_choice(
        request, "status", {"PENDING", "PAID", "DISPENSING", "COMPLETED", "FAILED", "REFUNDED"});
    PageRequest page = query_page(request);
    const std::string where = order_from + " WHERE ($1::bigint IS NULL OR m.owner_id = $1::bigint)"
                                           " AND ($2::text IS NULL OR o.machine_id = $2)"
                                           " AND ($3::text IS NULL OR o.status = $3)";
    pg::Params params = {owner_filter(caller), machine, status};
    DbPool::Lease db = services.db.acquire();
    long long count = db->exec("SELECT count(*)" + where, params).integer(0, 0);
    require_page_exists(page, count);
    params.push_back(std::to_string(page.size));
    params.push_back(std::to_string(page.offset()));
    pg::Result rows = db->exec("SELECT " + order_columns() + where +
                                   " ORDER BY o.created_at DESC, o.id LIMIT $4 OFFSET $5",
                               params);
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(results.get(), order_json(rows, row));
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

Response get_order(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    DbPool::Lease db = services.db.acquire();
    pg::Result rows =
        db->exec("SELECT " + order_columns() + order_from +
                     " WHERE o.id = $1 AND ($2::bigint IS NULL OR m.owner_id = $2::bigint)",
                 {*request.param("id"), owner_filter(caller)});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no order " + *request.param("id"));
    json::Ptr order = order_json(rows, 0);
    return json_response(200, order.get());
}

} // namespace

void add_vending_order_routes(Router& router, Services& services) {
    router.add("POST", "/api/v1/vending/orders", Access::user(), bound(services, create_order));
    router.add("GET", "/api/v1/vending/orders", Access::user(), bound(services, list_orders));
    router.add("GET", "/api/v1/vending/orders/{id}", Access::user(), bound(services, get_order));
}

} // namespace sarang::http
