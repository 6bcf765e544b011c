#include "vending/machine_access.hpp"

#include "http_error.hpp"
#include "time_text.hpp"
#include "vending/cells.hpp"

#include <charconv>

namespace sarang::http {

VisibleDevice vending_machine(const VisibleDevice& device) {
    if (device.kind_name != "vending")
        throw HttpError(404, "not_found", "no vending machine " + device.id);
    return device;
}

long long slot_param(const Request& request) {
    const std::string& text = *request.param("slot");
    long long slot = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), slot);
    if (error != std::errc() || end != text.data() + text.size() || slot < 1 || slot > 255)
        throw HttpError(404, "not_found", "no slot " + text);
    return slot;
}

std::string slot_columns() {
    return "s.slot_number, s.product_id, p.name, s.price, s.stock, s.capacity, s.level, " +
           iso8601_sql("s.level_at") + ", " + iso8601_sql("s.updated_at") +
           ", (SELECT count(*) FROM orders o WHERE o.machine_id = s.machine_id"
           " AND o.slot_number = s.slot_number AND o.status IN ('PENDING', 'PAID', 'DISPENSING'))";
}

json::Ptr slot_json(const pg::Result& rows, int row) {
    json::Ptr slot = json::own(json_object());
    json::set(slot.get(), "slot", cells::integer(rows, row, 0));
    json::set(slot.get(), "product_id", cells::integer(rows, row, 1));
    json::set(slot.get(), "product_name", cells::text(rows, row, 2));
    json::set(slot.get(), "price", cells::integer(rows, row, 3));
    json::set(slot.get(), "stock", cells::integer(rows, row, 4));
    json::set(slot.get(), "capacity", cells::integer(rows, row, 5));
    json::set(slot.get(), "level", cells::text(rows, row, 6));
    json::set(slot.get(), "level_at", cells::text(rows, row, 7));
    json::set(slot.get(), "updated_at", cells::text(rows, row, 8));
    long long reserved = rows.integer(row, 9);
    json::set(slot.get(), "reserved", json::own(json_integer(reserved)));
    bool orderable = rows.text(row, 6) != "EMPTY" && rows.integer(row, 4) - reserved > 0 &&
                     !rows.is_null(row, 3);
    json::set(slot.get(), "orderable", json::own(json_boolean(orderable)));
    return slot;
}

} // namespace sarang::http
