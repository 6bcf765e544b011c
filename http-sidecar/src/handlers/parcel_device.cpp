// The parcel box as seed 004's app drives it; each takes an optional deviceId (query, or body)
// and defaults to the caller's only parcel box (parcel_box.hpp):
//   GET  /api/device/status          {"success", "status": {"isOnline", "lastSeen",
//        "lastDistance", "firmware", "lastCommand", "lastCommandStatus", "lastCommandTime", ...}}
//   GET  /api/device/settings        {"success", "settings", "reported", "lastChange"}
//   PUT  /api/device/settings        a partial change, checked (400 naming the field), stored and
//        sent to {prefix}/settings/set (doorLock: to the owner's door locks' settings topic)
//   POST /api/device/control/{capture,flash,buzzer,holder,stop-pipeline}   {prefix}/control
//   POST /api/device/generate-token  a new device credential, shown once
// Device messages go through the commands outbox (docs/commands.md), never MQTT from here.
#include "auth/brokers_applied.hpp"
#include "auth/caller.hpp"
#include "commands/outbox.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "parcel/control_payload.hpp"
#include "parcel/parcel_settings.hpp"
#include "parcel_box.hpp"
#include "sarang/credentials.hpp"
#include "sarang/log.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

constexpr long long command_timeout_s = 60;

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    return json::own(rows.is_null(row, column)
                         ? json_null()
                         : json_string(std::string(rows.text(row, column)).c_str()));
}

json::Ptr parsed_or_null(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    std::string error;
    json::Ptr value = json::parse(rows.text(row, column), error);
    return value ? std::move(value) : json::own(json_null());
}

// A request body that may be empty (capture, stop-pipeline, generate-token).
json::Ptr optional_body(const Request& request) {
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos)
        return json::own(json_object());
    return json_object_body(request);
}

std::string_view command_outcome(std::string_view state) {
    if (state == "acked")
        return "success";
    if (state == "failed" || state == "expired")
        return "failed";
    return "pending";
}

Response device_status(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    VisibleDevice box = parcel_box(services, caller, request);
    DbPool::Lease db = services.db.acquire();
    // Online needs both: the broker holds a connection, and the device did not last say
    // "offline" (its will, or its own status).
    pg::Result rows = db->exec(
        "SELECT d.online AND coalesce(r.online, true), " + iso8601_sql("d.last_seen_at") +
            ", (SELECT value FROM latest_readings l WHERE l.device_id = d.id"
            "   AND l.metric = 'distance_cm'),"
            " coalesce(r.payload->>'firmware', (SELECT firmware FROM packages p"
            "   WHERE p.device_id = d.id AND firmware IS NOT NULL"
            "   ORDER BY received_at DESC LIMIT 1)),"
            " c.payload::text, c.state, " +
            iso8601_sql("c.created_at") + ", " + iso8601_sql("r.at") +
            " FROM devices d LEFT JOIN device_reported_status r ON r.device_id = d.id"
            " LEFT JOIN LATERAL (SELECT payload, state, created_at FROM commands"
            "   WHERE device_id = d.id AND subtopic = 'control' ORDER BY seq DESC LIMIT 1) c"
            "   ON true WHERE d.id = $1",
        {box.id});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    json::Ptr status = json::own(json_object());
    json::set(status.get(), "deviceId", json::own(json_string(box.id.c_str())));
    json::set(status.get(), "isOnline", json::own(json_boolean(rows.boolean(0, 0))));
    json::set(status.get(), "lastSeen", text_or_null(rows, 0, 1));
    json::set(status.get(), "lastDistance",
              json::own(rows.is_null(0, 2) ? json_null() : json_real(rows.number(0, 2))));
    json::set(status.get(), "firmware", text_or_null(rows, 0, 3));
    json::Ptr last = parsed_or_null(rows, 0, 4);
    std::string_view name = last && json_is_object(last.get()) ? control_name(last.get()) : "";
    json::set(status.get(), "lastCommand",
              json::own(name.empty() ? json_null() : json_stringn(name.data(), name.size())));
    std::string_view outcome = rows.is_null(0, 5) ? "" : command_outcome(rows.text(0, 5));
    json::set(
        status.get(), "lastCommandStatus",
        json::own(outcome.empty() ? json_null() : json_stringn(outcome.data(), outcome.size())));
    json::set(status.get(), "lastCommandTime", text_or_null(rows, 0, 6));
    json::set(status.get(), "updatedAt", text_or_null(rows, 0, 7));
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "success", json::own(json_true()));
    json::set(body.get(), "status", std::move(status));
    return json_response(200, body.get());
}

ParcelSettings stored_settings(pg::Connection& db, const std::string& device_id, bool for_update) {
    pg::Result rows =
        db.exec(std::string("SELECT settings::text FROM parcel_settings WHERE device_id = $1") +
                    (for_update ? " FOR UPDATE" : ""),
                {device_id});
    if (rows.rows() == 0)
        return {};
    std::string error;
    json::Ptr stored = json::parse(rows.text(0, 0), error);
    return settings_from_json(stored.get());
}

Response get_settings(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    VisibleDevice box = parcel_box(services, caller, request);
    DbPool::Lease db = services.db.acquire();
    ParcelSettings settings = stored_settings(*db, box.id, false);
    // settings/cur lands in device_events (a parcel-box event topic); settings/ack settles the
    // settings/set command and is kept as its result.
    pg::Result reported = db->exec("SELECT payload::text, " + iso8601_sql("at") +
                                       " FROM device_events WHERE device_id = $1"
                                       " AND subtopic = 'settings/cur' ORDER BY at DESC LIMIT 1",
                                   {box.id});
    pg::Result change = db->exec("SELECT id, state, result::text, " + iso8601_sql("created_at") +
                                     " FROM commands WHERE device_id = $1"
                                     " AND subtopic = 'settings/set' ORDER BY seq DESC LIMIT 1",
                                 {box.id});
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "success", json::own(json_true()));
    json::set(body.get(), "deviceId", json::own(json_string(box.id.c_str())));
    json::set(body.get(), "settings", settings_json(settings));
    if (reported.rows() == 1) {
        json::Ptr cur = json::own(json_object());
        json::set(cur.get(), "settings", parsed_or_null(reported, 0, 0));
        json::set(cur.get(), "at", text_or_null(reported, 0, 1));
        json::set(body.get(), "reported", std::move(cur));
    } else {
        json::set(body.get(), "reported", json::own(json_null()));
    }
    if (change.rows() == 1) {
        json::Ptr last = json::own(json_object());
        json::set(last.get(), "commandId", text_or_null(change, 0, 0));
        json::set(last.get(), "state", text_or_null(change, 0, 1));
        json::set(last.get(), "ack", parsed_or_null(change, 0, 2));
        json::set(last.get(), "at", text_or_null(change, 0, 3));
        json::set(body.get(), "lastChange", std::move(last));
    } else {
        json::set(body.get(), "lastChange", json::own(json_null()));
    }
    return json_response(200, body.get());
}

Response put_settings(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr change = json_object_body(request);
    VisibleDevice box = parcel_box(services, caller, request, change.get());
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    // The row is locked so that two changes at once apply one after the other.
    transaction.exec("INSERT INTO parcel_settings (device_id, settings) VALUES ($1, $2::jsonb)"
                     " ON CONFLICT (device_id) DO NOTHING",
                     {box.id, json::dump(settings_json(ParcelSettings{}).get())});
    ParcelSettings current = stored_settings(*db, box.id, true);
    ParcelSettings next = apply_settings_change(current, change.get());
    json::Ptr commands = json::own(json_array());
    if (!(next == current)) {
        transaction.exec("UPDATE parcel_settings SET settings = $2::jsonb, updated_at = now()"
                         " WHERE device_id = $1",
                         {box.id, json::dump(settings_json(next).get())});
        ParcelSettings box_only = next;
        box_only.door_lock_ms = current.door_lock_ms;
        if (!(box_only == current)) {
            json::Ptr payload = box_settings_payload(next);
            json::append(
                commands.get(),
                enqueue_command(transaction, {box.id, box.kind, "settings/set", payload.get(),
                                              command_timeout_s, caller.user_id}));
        }
        if (next.door_lock_ms != current.door_lock_ms) {
            pg::Result locks = transaction.exec(
                "SELECT l.id FROM devices b JOIN devices l ON l.owner_id = b.owner_id"
                " WHERE b.id = $1 AND l.kind = 'door-lock' AND l.state <> 'revoked'"
                " ORDER BY l.id",
                {box.id});
            json::Ptr payload = lock_settings_payload(next);
            for (int row = 0; row < locks.rows(); ++row)
                json::append(
                    commands.get(),
                    enqueue_command(transaction, {std::string(locks.text(row, 0)),
                                                  find_kind("door-lock"), "settings", payload.get(),
                                                  command_timeout_s, caller.user_id}));
        }
    }
    transaction.commit();
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "success", json::own(json_true()));
    json::set(body.get(), "message", json::own(json_string("Settings updated")));
    json::set(body.get(), "settings", settings_json(next));
    json::set(body.get(), "commands", std::move(commands));
    return json_response(200, body.get());
}

Response control(Services& services, const Request& request, std::string_view action,
                 const char* message) {
    const UserCaller& caller = request.user();
    json::Ptr body = optional_body(request);
    VisibleDevice box = parcel_box(services, caller, request, body.get());
    json::Ptr payload = control_payload(action, body.get());
    json::Ptr command = enqueue_command(services.db, {box.id, box.kind, "control", payload.get(),
                                                      command_timeout_s, caller.user_id});
    json::Ptr answer = json::own(json_object());
    json::set(answer.get(), "success", json::own(json_true()));
    json::set(answer.get(), "message", json::own(json_string(message)));
    json::set(answer.get(), "command", std::move(command));
    return json_response(200, answer.get());
}

Response control_capture(Services& services, const Request& request) {
    return control(services, request, "capture", "Capture command sent");
}
Response control_flash(Services& services, const Request& request) {
    return control(services, request, "flash", "Flash command sent");
}
Response control_buzzer(Services& services, const Request& request) {
    return control(services, request, "buzzer", "Buzzer command sent");
}
Response control_holder(Services& services, const Request& request) {
    return control(services, request, "holder", "Holder command sent");
}
Response control_stop_pipeline(Services& services, const Request& request) {
    return control(services, request, "stop-pipeline", "Stop pipeline command sent");
}

// Like `sarangctl devices rotate`: the current credential stays valid for
// access.rotation_grace_s so the box can be re-flashed without a gap.
Response generate_token(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = optional_body(request);
    VisibleDevice box = parcel_box(services, caller, request, body.get());
    IssuedCredential credential = issue_credential(services.pepper);
    long long grace = services.storage.rotation_grace.count();
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec(
            "UPDATE devices SET"
            " previous_credential_hash = CASE WHEN $3::bigint > 0 THEN credential_hash END,"
            " previous_credential_expires_at ="
            "   CASE WHEN $3::bigint > 0 THEN now() + make_interval(secs => $3::bigint) END,"
            " credential_hash = decode($2, 'hex')"
            " WHERE id = $1 AND state <> 'revoked' RETURNING " +
                iso8601_sql("previous_credential_expires_at"),
            {box.id, crypto::hex_encode(credential.stored_hash), std::to_string(grace)});
    }();
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    await_brokers(services.db);
    LOG_INFO("audit", "httpd | device.generate_token | user=%lld id=%s grace_s=%lld",
             caller.user_id, box.id.c_str(), grace);
    json::Ptr answer = json::own(json_object());
    json::set(answer.get(), "success", json::own(json_true()));
    json::set(answer.get(), "deviceId", json::own(json_string(box.id.c_str())));
    json::set(answer.get(), "token", json::own(json_string(credential.token.c_str())));
    json::set(answer.get(), "expiresIn", json::own(json_string("never; until rotated or revoked")));
    json::set(answer.get(), "previousTokenValidUntil", text_or_null(rows, 0, 0));
    json::set(
        answer.get(), "instructions",
        json::own(json_string("Use this token in Authorization header as: Bearer <token> "
                              "(or X-API-Key), and as the MQTT password. It is shown once.")));
    return json_response(200, answer.get());
}

} // namespace

void add_parcel_device_routes(Router& router, Services& services) {
    router.add("GET", "/api/device/status", Access::user(), bound(services, device_status));
    router.add("GET", "/api/device/settings", Access::user(), bound(services, get_settings));
    router.add("PUT", "/api/device/settings", Access::user(), bound(services, put_settings));
    router.add("POST", "/api/device/control/capture", Access::user(),
               bound(services, control_capture));
    router.add("POST", "/api/device/control/flash", Access::user(), bound(services, control_flash));
    router.add("POST", "/api/device/control/buzzer", Access::user(),
               bound(services, control_buzzer));
    router.add("POST", "/api/device/control/holder", Access::user(),
               bound(services, control_holder));
    router.add("POST", "/api/device/control/stop-pipeline", Access::user(),
               bound(services, control_stop_pipeline));
    // Slow lane: it waits for the broker nodes (await_brokers), which must not hold a polling
    // thread.
    router.add("POST", "/api/device/generate-token", Access::user(),
               bound(services, generate_token), Lane::slow);
}

} // namespace sarang::http
