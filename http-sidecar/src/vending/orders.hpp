#pragma once
// Vending orders as the API shows them, and starting a dispense (docs/vending.md). Used by the
// orders handler, the payment webhook and POST /api/dispense/trigger, always inside the
// caller's transaction: the order's move to DISPENSING, its dispense log and the command in the
// outbox stand or fall together.
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "services.hpp"

#include <optional>
#include <string>

namespace sarang::http {

// SELECT <order_columns()> FROM orders o LEFT JOIN dispense_logs d ON d.order_id = o.id
std::string order_columns();
json::Ptr order_json(const pg::Result& rows, int row);
// The order as order_json shows it; 404 when there is none.
json::Ptr load_order(pg::Transaction& transaction, const std::string& id);

// PAID -> DISPENSING: queues the seed's dispense command on vm/{machine}/command (through the
// commands outbox) and writes the dispense log. 404 for an unknown order, 409 unless it is PAID.
// Returns the queued command.
json::Ptr start_dispense(pg::Transaction& transaction, const VendingSettings& settings,
                         const std::string& order_id, long long timeout_ms,
                         std::optional<long long> created_by);

} // namespace sarang::http
