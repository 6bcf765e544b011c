// Vending machines (devices of kind vending) for their owner or an admin (docs/vending.md).
//
//   GET /api/v1/vending/machines?page=&page_size=       {"count","next","previous","results"}
//   GET /api/v1/vending/machines/{id}                   the machine with its slots
//   PUT /api/v1/vending/machines/{id}/config {"motorTimeout"?, "dropSensorDelay"?,
//       "telemetryInterval"?}   queues vm/{id}/config through the commands outbox: 202 with the
//       command. The config topic has no answer, so the command ends `expired` after its day.
#include "auth/caller.hpp"
#include "commands/outbox.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "pagination.hpp"
#include "time_text.hpp"
#include "vending/cells.hpp"
#include "vending/machine_access.hpp"

namespace sarang::http {
namespace {

constexpr long long config_timeout_s = 86400;

struct ConfigField {
    const char* name;
    long long min, max;
};
// The seed's config payload; anything else is refused rather than sent to firmware blindly.
constexpr ConfigField config_fields[] = {
    {"motorTimeout", 100, 60000},
    {"dropSensorDelay", 0, 10000},
    {"telemetryInterval", 1000, 86400000},
};

std::string machine_columns() {
    return "d.id, d.name, d.online, " + iso8601_sql("d.last_seen_at") +
           ", (SELECT count(*) FROM slots s WHERE s.machine_id = d.id)";
}

json::Ptr machine_json(const pg::Result& rows, int row) {
    json::Ptr machine = json::own(json_object());
    json::set(machine.get(), "id", cells::text(rows, row, 0));
    json::set(machine.get(), "name", cells::text(rows, row, 1));
    json::set(machine.get(), "online", cells::boolean(rows, row, 2));
    json::set(machine.get(), "last_seen_at", cells::text(rows, row, 3));
    json::set(machine.get(), "slot_count", cells::integer(rows, row, 4));
    return machine;
}

Response list_machines(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    PageRequest page = query_page(request);
    const std::string where = " FROM devices d WHERE d.kind = 'vending'"
                              " AND ($1::bigint IS NULL OR d.owner_id = $1::bigint)";
    DbPool::Lease db = services.db.acquire();
    long long count = db->exec("SELECT count(*)" + where, {owner_filter(caller)}).integer(0, 0);
    require_page_exists(page, count);
    pg::Result rows =
        db->exec("SELECT " + machine_columns() + where + " ORDER BY d.id LIMIT $2 OFFSET $3",
                 {owner_filter(caller), std::to_string(page.size), std::to_string(page.offset())});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(results.get(), machine_json(rows, row));
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

Response get_machine(Services& services, const Request& request) {
    VisibleDevice device = vending_machine(request.target());
    DbPool::Lease db = services.db.acquire();
    pg::Result rows =
        db->exec("SELECT " + machine_columns() + " FROM devices d WHERE d.id = $1", {device.id});
    json::Ptr machine = machine_json(rows, 0);
    pg::Result slots = db->exec("SELECT " + slot_columns() +
                                    " FROM slots s LEFT JOIN products p ON p.id = s.product_id"
                                    " WHERE s.machine_id = $1 ORDER BY s.slot_number",
                                {device.id});
    json::Ptr list = json::own(json_array());
    for (int row = 0; row < slots.rows(); ++row)
        json::append(list.get(), slot_json(slots, row));
    json::set(machine.get(), "slots", std::move(list));
    return json_response(200, machine.get());
}

Response put_config(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    VisibleDevice device = vending_machine(request.target());
    json::Ptr body = json_object_body(request);
    const char* key;
    json_t* value;
    json_object_foreach(body.get(), key, value) {
        bool known = false;
        for (const ConfigField& field : config_fields)
            known = known || std::string_view(key) == field.name;
        if (!known)
            fail_validation(key, "is not a vending config setting (motorTimeout, "
                                 "dropSensorDelay, telemetryInterval)");
    }
    json::Ptr payload = json::own(json_object());
    for (const ConfigField& field : config_fields) {
        if (std::optional<long long> number =
                optional_integer(body.get(), field.name, field.min, field.max))
            json::set(payload.get(), field.name, json::own(json_integer(*number)));
    }
    if (json_object_size(payload.get()) == 0)
        fail_validation("motorTimeout", "or another setting is required");
    NewCommand command{device.id,     device.kind,      "config",
                       payload.get(), config_timeout_s, caller.user_id};
    return json_response(202, enqueue_command(services.db, command).get());
}

} // namespace

void add_vending_machine_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/vending/machines", Access::user(), bound(services, list_machines));
    router.add("GET", "/api/v1/vending/machines/{id}", Access::device_owner(),
               bound(services, get_machine));
    router.add("PUT", "/api/v1/vending/machines/{id}/config", Access::device_owner(),
               bound(services, put_config));
}

} // namespace sarang::http
