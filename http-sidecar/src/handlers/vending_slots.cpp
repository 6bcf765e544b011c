// A vending machine's slots, for its owner or an admin (docs/vending.md).
//
//   GET  /api/v1/vending/machines/{id}/slots
//   PUT  /api/v1/vending/machines/{id}/slots/{slot} {"price", "capacity", "product_id"?,
//        "stock"?}   creates or changes the slot; a stock change writes an "adjust" stock log
//   POST /api/v1/vending/machines/{id}/slots/{slot}/restock {"quantity"}   adds items up to the
//        capacity and writes a "restock" stock log; clears the last reported level (the
//        machine's next telemetry sets it again)
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "vending/machine_access.hpp"

namespace sarang::http {
namespace {

json::Ptr load_slot(pg::Transaction& transaction, const std::string& machine, long long slot) {
    pg::Result rows = transaction.exec("SELECT " + slot_columns() +
                                           " FROM slots s LEFT JOIN products p"
                                           " ON p.id = s.product_id"
                                           " WHERE s.machine_id = $1 AND s.slot_number = $2",
                                       {machine, std::to_string(slot)});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no slot " + std::to_string(slot));
    return slot_json(rows, 0);
}

void log_stock(pg::Transaction& transaction, const std::string& machine, long long slot,
               long long change, long long after, const char* reason, long long user) {
    transaction.exec("INSERT INTO stock_logs (machine_id, slot_number, change, stock_after,"
                     " reason, user_id) VALUES ($1, $2, $3, $4, $5, $6)",
                     {machine, std::to_string(slot), std::to_string(change), std::to_string(after),
                      reason, std::to_string(user)});
}

Response list_slots(Services& services, const Request& request) {
    VisibleDevice machine = vending_machine(request.target());
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec("SELECT " + slot_columns() +
                                   " FROM slots s LEFT JOIN products p ON p.id = s.product_id"
                                   " WHERE s.machine_id = $1 ORDER BY s.slot_number",
                               {machine.id});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(results.get(), slot_json(rows, row));
    return json_response(200, results.get());
}

Response put_slot(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    VisibleDevice machine = vending_machine(request.target());
    long long slot = slot_param(request);
    json::Ptr body = json_object_body(request);
    long long price = required_integer(body.get(), "price", 1, 1000000000000LL);
    long long capacity = required_integer(body.get(), "capacity", 1, 1000);
    std::optional<long long> stock = optional_integer(body.get(), "stock", 0, 1000);
    std::optional<long long> product = optional_integer(body.get(), "product_id", 1, 1LL << 62);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    if (product &&
        transaction.exec("SELECT 1 FROM products WHERE id = $1", {std::to_string(*product)})
                .rows() == 0)
        fail_validation("product_id", "is not a product");
    pg::Result current =
        transaction.exec("SELECT stock FROM slots WHERE machine_id = $1 AND slot_number = $2"
                         " FOR UPDATE",
                         {machine.id, std::to_string(slot)});
    long long before = current.rows() == 1 ? current.integer(0, 0) : 0;
    long long after = stock.value_or(before);
    if (after > capacity)
        fail_validation("capacity", "must be at least the stock (" + std::to_string(after) + ")");
    std::optional<std::string> product_text =
        product ? std::optional(std::to_string(*product)) : std::nullopt;
    transaction.exec("INSERT INTO slots (machine_id, slot_number, product_id, price, capacity,"
                     " stock) VALUES ($1, $2, $3::bigint, $4, $5, $6)"
                     " ON CONFLICT (machine_id, slot_number) DO UPDATE SET"
                     " product_id = EXCLUDED.product_id, price = EXCLUDED.price,"
                     " capacity = EXCLUDED.capacity, stock = EXCLUDED.stock, updated_at = now()",
                     {machine.id, std::to_string(slot), product_text, std::to_string(price),
                      std::to_string(capacity), std::to_string(after)});
    if (after != before)
        log_stock(transaction, machine.id, slot, after - before, after, "adjust", caller.user_id);
    json::Ptr shown = load_slot(transaction, machine.id, slot);
    transaction.commit();
    return json_response(current.rows() == 1 ? 200 : 201, shown.get());
}

Response restock(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    VisibleDevice machine = vending_machine(request.target());
    long long slot = slot_param(request);
    json::Ptr body = json_object_body(request);
    long long quantity = required_integer(body.get(), "quantity", 1, 1000);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    pg::Result current = transaction.exec("SELECT stock, capacity FROM slots WHERE machine_id = $1"
                                          " AND slot_number = $2 FOR UPDATE",
                                          {machine.id, std::to_string(slot)});
    if (current.rows() != 1)
        throw HttpError(404, "not_found", "no slot " + std::to_string(slot));
    long long after = current.integer(0, 0) + quantity;
    if (after > current.integer(0, 1))
        fail_validation("quantity", "would exceed the capacity (stock " +
                                        std::string(current.text(0, 0)) + " of " +
                                        std::string(current.text(0, 1)) + ")");
    transaction.exec("UPDATE slots SET stock = $3, level = NULL, level_at = now(),"
                     " updated_at = now() WHERE machine_id = $1 AND slot_number = $2",
                     {machine.id, std::to_string(slot), std::to_string(after)});
    log_stock(transaction, machine.id, slot, quantity, after, "restock", caller.user_id);
    json::Ptr shown = load_slot(transaction, machine.id, slot);
    transaction.commit();
    return json_response(200, shown.get());
}

} // namespace

void add_vending_slot_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/vending/machines/{id}/slots", Access::device_owner(),
               bound(services, list_slots));
    router.add("PUT", "/api/v1/vending/machines/{id}/slots/{slot}", Access::device_owner(),
               bound(services, put_slot));
    router.add("POST", "/api/v1/vending/machines/{id}/slots/{slot}/restock", Access::device_owner(),
               bound(services, restock));
}

} // namespace sarang::http
