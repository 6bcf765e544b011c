// One device's commands (docs/commands.md), for its owner or an admin; someone else's device
// answers 404.
//
//   GET  /api/v1/devices/{id}/commands?state=&page=&page_size=   history, newest first:
//        {"count", "next", "previous", "results": [command]}
//   POST /api/v1/devices/{id}/commands {"subtopic", "payload", "timeout_s"}   a raw command to
//        one of the kind's command topics: 202 with the queued command. 202, not 201: the
//        device has not seen it yet; its state tells what happens. The topic's policy in the
//        kind table (CommandSender) says who may: 403 `use_route` naming the route that
//        checks more (a door unlock's PIN, a dispense's order), 403 `admin_required`.
#include "auth/caller.hpp"
#include "commands/outbox.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "pagination.hpp"
#include "sarang/commands.hpp"

namespace sarang::http {
namespace {

constexpr long long default_timeout_s = 60;

Response list_commands(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    std::optional<std::string> state =
        query_choice(request, "state", {"queued", "sent", "acked", "failed", "expired"});
    PageRequest page = query_page(request);
    const std::string where = " FROM commands WHERE device_id = $1"
                              " AND ($2::text IS NULL OR state = $2::text)";
    DbPool::Lease db = services.db.acquire();
    long long count = db->exec("SELECT count(*)" + where, {device.id, state}).integer(0, 0);
    require_page_exists(page, count);
    pg::Result rows =
        db->exec("SELECT " + command_columns() + where + " ORDER BY seq DESC LIMIT $3 OFFSET $4",
                 {device.id, state, std::to_string(page.size), std::to_string(page.offset())});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(results.get(), command_json(rows, row));
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

long long timeout_from(const json_t* body) {
    const json_t* value = json_object_get(body, "timeout_s");
    if (value == nullptr || json_is_null(value))
        return default_timeout_s;
    if (!json_is_integer(value))
        fail_validation("timeout_s", "must be a whole number of seconds");
    return json_integer_value(value);
}

// Before anything is written: a refused command leaves no row.
void refuse_unless_allowed(const VisibleDevice& device, const std::string& subtopic,
                           const UserCaller& caller) {
    commands::RawDecision decision =
        commands::raw_command_decision(device.kind, subtopic, caller.admin());
    std::string topic = device.kind_name + " '" + subtopic + "' commands";
    switch (decision.verdict) {
    case commands::RawVerdict::allowed:
    case commands::RawVerdict::unknown_topic: // enqueue_command's 422 says why
        return;
    case commands::RawVerdict::admin_only:
        throw HttpError(403, "admin_required", "only an administrator can send " + topic);
    case commands::RawVerdict::use_route: {
        json::Ptr answer = error_object("use_route", topic + " are sent only through " +
                                                         std::string(decision.route) +
                                                         ", which checks what this route cannot");
        json::set(answer.get(), "route",
                  json::own(json_stringn(decision.route.data(), decision.route.size())));
        throw HttpError(json_response(403, answer.get()));
    }
    }
}

Response send_command(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    const VisibleDevice& device = request.target();
    json::Ptr body = json_object_body(request);
    std::string subtopic = required_string(body.get(), "subtopic");
    const json_t* payload = json_object_get(body.get(), "payload");
    if (payload == nullptr)
        fail_validation("payload", "is required");
    refuse_unless_allowed(device, subtopic, caller);
    NewCommand command{device.id,     device.kind, subtopic, payload, timeout_from(body.get()),
                       caller.user_id};
    return json_response(202, enqueue_command(services.db, command).get());
}

} // namespace

void add_device_command_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/devices/{id}/commands", Access::device_owner(),
               bound(services, list_commands));
    router.add("POST", "/api/v1/devices/{id}/commands", Access::device_owner(),
               bound(services, send_command));
}

} // namespace sarang::http
