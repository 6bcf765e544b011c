// POST /api/device/control/door {pin, deviceId?}: the seed's remote unlock (docs/doorlock.md).
// The PIN is checked here against the lock owner's door PIN hash, on the slow lane (argon2id),
// under the lockout the broker's keypad checks share (core door_pin_store.hpp); a right PIN
// queues {"action": "unlock", "method": "remote"} for {prefix}/control through the commands
// outbox. The PIN itself never goes to the lock.
#include "auth/caller.hpp"
#include "auth/throttle.hpp"
#include "commands/outbox.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "query_params.hpp"
#include "sarang/crypto.hpp"
#include "sarang/door_pin_store.hpp"
#include "sarang/log.hpp"

namespace sarang::http {
namespace {

constexpr long long command_timeout_s = 60;
const door::Rule rule{};

struct DoorLock {
    VisibleDevice device;
    std::optional<long long> owner_id;
    std::optional<std::string> pin_hash;
};

// The named lock (body or query deviceId), else the caller's only door lock (as parcel_box.hpp
// does for boxes): none 404, several 409.
DoorLock door_lock(Services& services, const UserCaller& caller, const Request& request,
                   const json_t* body) {
    std::optional<std::string> named = optional_string(body, "deviceId");
    if (!named)
        named = query_text(request, "deviceId");
    VisibleDevice device;
    if (named) {
        device = visible_device(services, caller, *named);
        if (device.kind_name != "door-lock")
            fail_validation("deviceId", "is not a door lock");
    } else {
        pg::Result rows = [&] {
            DbPool::Lease db = services.db.acquire();
            return db->exec(
                "SELECT id FROM devices WHERE kind = 'door-lock' AND state <> 'revoked'"
                " AND ($1::bigint IS NULL OR owner_id = $1::bigint) ORDER BY id LIMIT 2",
                {owner_filter(caller)});
        }();
        if (rows.rows() == 0)
            throw HttpError(404, "not_found", "you have no door lock");
        if (rows.rows() > 1)
            throw HttpError(409, "device_ambiguous",
                            "you have several door locks; name one with deviceId");
        device = {std::string(rows.text(0, 0)), "door-lock", find_kind("door-lock")};
    }
    DbPool::Lease db = services.db.acquire();
    pg::Result row = db->exec("SELECT d.owner_id, u.door_pin_hash FROM devices d"
                              " LEFT JOIN users u ON u.id = d.owner_id WHERE d.id = $1",
                              {device.id});
    if (row.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    DoorLock lock{std::move(device), std::nullopt, std::nullopt};
    if (!row.is_null(0, 0))
        lock.owner_id = row.integer(0, 0);
    if (!row.is_null(0, 1))
        lock.pin_hash = std::string(row.text(0, 1));
    return lock;
}

// Never with the PIN in it.
void audit_attempt(pg::Connection& db, const Request& request, const UserCaller& caller,
                   const std::string& device_id, const char* outcome) {
    json::Ptr detail = json::own(json_object());
    json::set(detail.get(), "deviceId", json::own(json_string(device_id.c_str())));
    json::set(detail.get(), "method", json::own(json_string("remote")));
    door::audit(db, {caller.user_id, caller.username, request.client_address, "door_remote",
                     outcome, json::dump(detail.get())});
}

Response locked_out(WallTime until, long long remaining) {
    return lockout_response({until, std::chrono::seconds(remaining)}, "door PIN attempts");
}

Response unlock_door(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string pin = required_string(body.get(), "pin");
    if (pin.empty() || pin.size() > 64)
        fail_validation("pin", "must be 1-64 characters");
    DoorLock lock = door_lock(services, caller, request, body.get());
    if (!lock.owner_id || !lock.pin_hash)
        throw HttpError(409, "pin_not_set",
                        "the lock's owner has no door PIN; set one with /api/auth/change-door-pin");
    door::Keys keys{lock.device.id, *lock.owner_id};
    door::Admission admission = [&] {
        DbPool::Lease db = services.db.acquire();
        return door::admit(*db, keys, rule);
    }();
    if (!admission.allowed) {
        DbPool::Lease db = services.db.acquire();
        audit_attempt(*db, request, caller, lock.device.id, "locked");
        throw HttpError(locked_out(admission.until, admission.remaining));
    }
    // No database connection is held while argon2id runs.
    bool ok = crypto::argon2id_verify(*lock.pin_hash, pin);
    DbPool::Lease db = services.db.acquire();
    door::Settlement settled = door::settle(*db, keys, admission.attempt, ok, rule);
    if (!ok) {
        audit_attempt(*db, request, caller, lock.device.id, "failure");
        if (settled.locked_until) {
            LOG_WARN("httpd", "door lock %s and user %lld locked out after wrong remote PINs",
                     lock.device.id.c_str(), *lock.owner_id);
            try {
                door::raise_lockout_alert(*db, keys, *settled.locked_until,
                                          settled.remaining_seconds, admission.attempt, "remote");
            } catch (const std::exception& error) {
                LOG_ERROR("httpd", "door lock %s locked out, but the alert was not queued: %s",
                          lock.device.id.c_str(), error.what());
            }
            throw HttpError(locked_out(*settled.locked_until, settled.remaining_seconds));
        }
        json::Ptr answer = error_object("invalid_pin", "invalid PIN");
        json::set(answer.get(), "remainingAttempts",
                  json::own(json_integer(settled.remaining_attempts)));
        throw HttpError(json_response(401, answer.get()));
    }
    std::string error;
    json::Ptr payload = json::parse(door::unlock_json("remote"), error);
    pg::Transaction transaction(*db);
    json::Ptr command =
        enqueue_command(transaction, {lock.device.id, lock.device.kind, "control", payload.get(),
                                      command_timeout_s, caller.user_id});
    audit_attempt(*db, request, caller, lock.device.id, "success");
    transaction.commit();
    json::Ptr answer = json::own(json_object());
    json::set(answer.get(), "success", json::own(json_true()));
    json::set(answer.get(), "message", json::own(json_string("Door unlock command sent")));
    json::set(answer.get(), "deviceId", json::own(json_string(lock.device.id.c_str())));
    json::set(answer.get(), "command", std::move(command));
    return json_response(200, answer.get());
}

} // namespace

void add_door_lock_routes(Router& router, Services& services) {
    router.add("POST", "/api/device/control/door", Access::user(), bound(services, unlock_door),
               Lane::slow);
}

} // namespace sarang::http
