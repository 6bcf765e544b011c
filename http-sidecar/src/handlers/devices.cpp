// GET /api/v1/devices, GET /api/v1/devices/{id}: the caller's devices (admins see all); someone
// else's device is 404, the same answer as a device that does not exist, so ids cannot be
// probed. GET /api/v1/device/me: the device-facing check of a device's own credential.
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

const std::string select_devices =
    "SELECT d.id, d.name, d.kind, d.topic_prefix, d.state, d.online, " +
    iso8601_sql("d.last_seen_at") +
    ", u.username FROM devices d LEFT JOIN users u ON u.id = d.owner_id"
    " WHERE ($1::bigint IS NULL OR d.owner_id = $1::bigint)";

std::optional<std::string> owner_filter(const UserCaller& caller) {
    return caller.admin() ? std::nullopt : std::optional(std::to_string(caller.user_id));
}

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    return rows.is_null(row, column)
               ? json::own(json_null())
               : json::own(json_string(std::string(rows.text(row, column)).c_str()));
}

json::Ptr device_object(const pg::Result& rows, int row) {
    json::Ptr device = json::own(json_object());
    json::set(device.get(), "id", text_or_null(rows, row, 0));
    json::set(device.get(), "name", text_or_null(rows, row, 1));
    json::set(device.get(), "kind", text_or_null(rows, row, 2));
    json::set(device.get(), "topicPrefix", text_or_null(rows, row, 3));
    json::set(device.get(), "state", text_or_null(rows, row, 4));
    json::set(device.get(), "online", json::own(json_boolean(rows.boolean(row, 5))));
    json::set(device.get(), "lastSeenAt", text_or_null(rows, row, 6));
    json::set(device.get(), "owner", text_or_null(rows, row, 7));
    return device;
}

Response list_devices(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec(select_devices + " ORDER BY d.id", {owner_filter(caller)});
    }();
    json::Ptr devices = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(devices.get(), device_object(rows, row));
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "count", json::own(json_integer(rows.rows())));
    json::set(reply.get(), "devices", std::move(devices));
    return json_response(200, reply.get());
}

Response one_device(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec(select_devices + " AND d.id = $2",
                        {owner_filter(caller), *request.param("id")});
    }();
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    return json_response(200, device_object(rows, 0).get());
}

Response device_me(Services& services, const Request& request) {
    DeviceCaller device = require_device(services, request);
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "id", json::own(json_string(device.id.c_str())));
    json::set(reply.get(), "name", json::own(json_string(device.name.c_str())));
    json::set(reply.get(), "kind", json::own(json_string(device.kind.c_str())));
    json::set(reply.get(), "topicPrefix", json::own(json_string(device.topic_prefix.c_str())));
    json::set(reply.get(), "state", json::own(json_string(device.state.c_str())));
    json::set(reply.get(), "serverTime",
              json::own(json_string(iso8601(std::chrono::system_clock::now()).c_str())));
    return json_response(200, reply.get());
}

} // namespace

void add_device_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/devices",
               [&services](const Request& request) { return list_devices(services, request); });
    router.add("GET", "/api/v1/devices/{id}",
               [&services](const Request& request) { return one_device(services, request); });
    router.add("GET", "/api/v1/device/me",
               [&services](const Request& request) { return device_me(services, request); });
}

} // namespace sarang::http
