// POST /api/dispense/trigger {"order_id", "timeout_ms"?}: the seed's manual dispense, for
// administrators. The order must be PAID and not yet dispensed (docs/vending.md): a PAID order
// waits here when vending.dispense_on_payment is off, or after a cash payment recorded with the
// order. Publishes vm/{machine}/command {"cmd":"dispense","slot","orderId","timeoutMs","id"}
// through the commands outbox; 202 with the order and the queued command.
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "vending/orders.hpp"

namespace sarang::http {
namespace {

Response trigger_dispense(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string order_id = required_string(body.get(), "order_id");
    long long timeout_ms = optional_integer(body.get(), "timeout_ms", 100, 120000)
                               .value_or(services.vending.dispense_timeout_ms);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    json::Ptr command =
        start_dispense(transaction, services.vending, order_id, timeout_ms, caller.user_id);
    json::Ptr order = load_order(transaction, order_id);
    transaction.commit();
    json::Ptr answer = json::own(json_object());
    json::set(answer.get(), "order", std::move(order));
    json::set(answer.get(), "command", std::move(command));
    return json_response(202, answer.get());
}

} // namespace

void add_vending_dispense_routes(Router& router, Services& services) {
    router.add("POST", "/api/dispense/trigger",
               Access::admin("only an administrator can trigger a dispense"),
               bound(services, trigger_dispense));
}

} // namespace sarang::http
