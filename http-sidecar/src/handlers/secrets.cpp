// POST /api/auth/first-setup, /verify-pin, /change-password, /change-pin, /change-door-pin.
// Passwords follow one policy everywhere (the seed allowed 6 characters on change); PINs are
// stored as argon2id hashes (the seed kept them in clear) and every check is throttled per user
// and per address.
#include "auth/brokers_applied.hpp"
#include "auth/caller.hpp"
#include "auth/secret_check.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "sarang/secret_policy.hpp"

namespace sarang::http {
namespace {

struct StoredSecrets {
    std::string password_hash;
    std::optional<std::string> app_pin_hash;
};

StoredSecrets stored_secrets(Services& services, long long user_id) {
    DbPool::Lease db = services.db.acquire();
    pg::Result row = db->exec("SELECT password_hash, app_pin_hash FROM users WHERE id = $1",
                              {std::to_string(user_id)});
    if (row.rows() != 1) {
        Response gone = error_response(401, "unauthorized", "the account no longer exists");
        gone.headers.emplace_back("WWW-Authenticate", "Bearer");
        throw HttpError(std::move(gone));
    }
    StoredSecrets secrets{std::string(row.text(0, 0)), std::nullopt};
    if (!row.is_null(0, 1))
        secrets.app_pin_hash = std::string(row.text(0, 1));
    return secrets;
}

Response success(const char* message) {
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::set(reply.get(), "message", json::own(json_string(message)));
    return json_response(200, reply.get());
}

HttpError pin_not_set() {
    return HttpError(409, "pin_not_set", "no app PIN is set; set one with /api/auth/change-pin");
}

void check_pin(Services& services, const Request& request, const UserCaller& caller,
               const std::string& action, const std::string& stored, const std::string& pin) {
    check_secret(services, request,
                 {SecretKind::pin, pin_keys(services, caller.user_id, request), caller.user_id,
                  caller.username, action},
                 stored, pin);
}

Response first_setup(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    // Only the session of the login that asked for setup may do it.
    if (!caller.require_password_change || caller.scope != "setup")
        throw HttpError(409, "already_set_up", "first-time setup is already complete");
    json::Ptr body = json_object_body(request);
    std::string password = required_string(body.get(), "newPassword");
    std::string pin = required_string(body.get(), "newPin");
    if (auto problem = password_problem(password, caller.username))
        fail_validation("newPassword", *problem);
    if (auto problem = pin_problem(pin, first_setup_pin))
        fail_validation("newPin", *problem);
    if (crypto::argon2id_verify(stored_secrets(services, caller.user_id).password_hash, password))
        fail_validation("newPassword", "must differ from the one-time password");

    std::string password_hash = crypto::argon2id_hash(password, services.auth.argon2);
    std::string pin_hash = crypto::argon2id_hash(pin, services.auth.argon2);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    std::string user_id = std::to_string(caller.user_id);
    // The guard on require_password_change makes a second, concurrent setup a 409.
    if (transaction
            .exec("UPDATE users SET password_hash = $2, app_pin_hash = $3, pins_updated_at = now(),"
                  " require_password_change = false, is_first_login = false, updated_at = now()"
                  " WHERE id = $1 AND require_password_change",
                  {user_id, password_hash, pin_hash})
            .affected() != 1)
        throw HttpError(409, "already_set_up", "first-time setup is already complete");
    transaction.exec("UPDATE sessions SET revoked_at = now()"
                     " WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL",
                     {user_id, std::to_string(caller.session_row)});
    transaction.exec("UPDATE sessions SET scope = 'full' WHERE id = $1",
                     {std::to_string(caller.session_row)});
    audit(*db, {caller.user_id, caller.username, request.client_address, "first_setup", "success",
                nullptr});
    transaction.commit();
    await_brokers(*db); // the session, now full, is also the user's MQTT password

    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::set(reply.get(), "message",
              json::own(json_string("First-time setup completed successfully")));
    json::set(reply.get(), "recommendation",
              json::own(json_string("Please remember your new password and PIN")));
    return json_response(200, reply.get());
}

Response verify_pin(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string pin = required_string(body.get(), "pin");
    StoredSecrets secrets = stored_secrets(services, caller.user_id);
    if (!secrets.app_pin_hash)
        throw pin_not_set();
    check_pin(services, request, caller, "verify_pin", *secrets.app_pin_hash, pin);
    record_audit(services, request, caller.user_id, caller.username, "verify_pin", "success");
    return success("PIN verified");
}

Response change_password(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string current = required_string(body.get(), "currentPassword");
    std::string next = required_string(body.get(), "newPassword");
    if (auto problem = password_problem(next, caller.username))
        fail_validation("newPassword", *problem);
    if (next == current)
        fail_validation("newPassword", "must differ from the current password");
    check_secret(services, request,
                 {SecretKind::password, login_keys(services, caller.username, request),
                  caller.user_id, caller.username, "change_password"},
                 stored_secrets(services, caller.user_id).password_hash, current);

    std::string hash = crypto::argon2id_hash(next, services.auth.argon2);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    std::string user_id = std::to_string(caller.user_id);
    transaction.exec("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
                     {user_id, hash});
    // Whoever else holds a session of this account (a stolen token) is signed out.
    long long revoked = transaction
                            .exec("UPDATE sessions SET revoked_at = now()"
                                  " WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL",
                                  {user_id, std::to_string(caller.session_row)})
                            .affected();
    audit(*db, {caller.user_id, caller.username, request.client_address, "change_password",
                "success", nullptr});
    transaction.commit();
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::set(reply.get(), "message", json::own(json_string("Password changed")));
    json::set(reply.get(), "revokedSessions", json::own(json_integer(revoked)));
    return json_response(200, reply.get());
}

// change-pin and change-door-pin store the new PIN's hash in `column`. Both prove the caller is
// the account's owner, not just a session holder: with the current app PIN, or, while no app
// PIN is set yet, with the account's password (change-door-pin then refuses: set an app PIN
// first).
Response change_pin(Services& services, const Request& request, const char* column,
                    const char* action, const char* done) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string next = required_string(body.get(), "newPin");
    if (auto problem = pin_problem(next, changed_pin))
        fail_validation("newPin", *problem);
    StoredSecrets secrets = stored_secrets(services, caller.user_id);
    bool door = std::string_view(column) == "door_pin_hash";
    if (secrets.app_pin_hash) {
        std::string current = required_string(body.get(), "currentPin");
        if (!door && current == next)
            fail_validation("newPin", "must differ from the current PIN");
        check_pin(services, request, caller, action, *secrets.app_pin_hash, current);
    } else if (door) {
        throw pin_not_set();
    } else {
        std::string password = required_string(body.get(), "currentPassword");
        check_secret(services, request,
                     {SecretKind::password, login_keys(services, caller.username, request),
                      caller.user_id, caller.username, action},
                     secrets.password_hash, password);
    }
    std::string hash = crypto::argon2id_hash(next, services.auth.argon2);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    db->exec(std::string("UPDATE users SET ") + column +
                 " = $2, pins_updated_at = now(), updated_at = now() WHERE id = $1",
             {std::to_string(caller.user_id), hash});
    audit(*db,
          {caller.user_id, caller.username, request.client_address, action, "success", nullptr});
    transaction.commit();
    return success(done);
}

} // namespace

void add_secret_routes(Router& router, Services& services) {
    router.add(
        "POST", "/api/auth/first-setup", Access::setup_session(),
        [&services](const Request& request) { return first_setup(services, request); }, Lane::slow);
    router.add(
        "POST", "/api/auth/verify-pin", Access::user(),
        [&services](const Request& request) { return verify_pin(services, request); }, Lane::slow);
    router.add(
        "POST", "/api/auth/change-password", Access::user(),
        [&services](const Request& request) { return change_password(services, request); },
        Lane::slow);
    router.add(
        "POST", "/api/auth/change-pin", Access::user(),
        [&services](const Request& request) {
            return change_pin(services, request, "app_pin_hash", "change_pin", "PIN changed");
        },
        Lane::slow);
    router.add(
        "POST", "/api/auth/change-door-pin", Access::user(),
        [&services](const Request& request) {
            return change_pin(services, request, "door_pin_hash", "change_door_pin",
                              "Door PIN changed");
        },
        Lane::slow);
}

} // namespace sarang::http
