// POST /api/auth/register, POST /api/auth/login, GET /api/auth/session, POST /api/auth/logout:
// the seed's SmartParcel auth paths and fields (shared/seeds/004), with opaque hashed session
// tokens instead of JWTs signed with a default secret.
#include "auth/brokers_applied.hpp"
#include "auth/caller.hpp"
#include "auth/device_cookie_token.hpp"
#include "auth/device_cookies.hpp"
#include "auth/secret_check.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "sarang/credentials.hpp"
#include "sarang/secret_policy.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

json::Ptr user_object(const std::string& username, const std::string& role,
                      bool require_password_change, bool is_first_login) {
    json::Ptr user = json::own(json_object());
    json::set(user.get(), "username", json::own(json_string(username.c_str())));
    json::set(user.get(), "role", json::own(json_string(role.c_str())));
    json::set(user.get(), "requirePasswordChange",
              json::own(json_boolean(require_password_change)));
    json::set(user.get(), "isFirstLogin", json::own(json_boolean(is_first_login)));
    return user;
}

Response register_user(Services& services, const Request& request) {
    if (!services.auth.allow_registration)
        throw HttpError(403, "registration_disabled",
                        "registration is turned off here; ask an administrator for an account");
    json::Ptr body = json_object_body(request);
    std::string username = required_string(body.get(), "username");
    std::string password = required_string(body.get(), "password");
    if (!valid_username(username))
        fail_validation("username", "must be 3 to 64 letters, digits or _ . @ -");
    if (auto problem = password_problem(password, username))
        fail_validation("password", *problem);

    std::vector<ThrottleKey> keys = {{"register-address", throttle_address(request.client_address),
                                      services.auth.register_address}};
    {
        DbPool::Lease db = services.db.acquire();
        if (auto locked = current_lockout(*db, keys))
            throw HttpError(lockout_response(*locked, "registrations from this address"));
        if (db->exec("SELECT 1 FROM users WHERE lower(username) = lower($1)", {username}).rows() ==
            1)
            throw HttpError(409, "username_taken", "that username is taken");
        pg::Transaction transaction(*db);
        record_failure(*db, keys); // every attempt counts towards the per-address limit
        transaction.commit();
    }
    std::string hash = crypto::argon2id_hash(password, services.auth.argon2);
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    // No conflict target: the unique index on lower(username) counts too ("Admin" vs "admin").
    pg::Result created = db->exec("INSERT INTO users (username, password_hash) VALUES ($1, $2)"
                                  " ON CONFLICT DO NOTHING RETURNING id",
                                  {username, hash});
    if (created.rows() != 1)
        throw HttpError(409, "username_taken", "that username is taken");
    audit(*db, {created.integer(0, 0), username, request.client_address, "register", "success",
                nullptr});
    transaction.commit();
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::Ptr user = json::own(json_object());
    json::set(user.get(), "username", json::own(json_string(username.c_str())));
    json::set(user.get(), "role", json::own(json_string("user")));
    json::set(reply.get(), "user", std::move(user));
    return json_response(201, reply.get());
}

// A malformed username cannot name an account: count it against the address only, and keep
// what was typed (often a password in the wrong field) out of the audit log.
[[noreturn]] void refuse_malformed_username(Services& services, const Request& request) {
    std::vector<ThrottleKey> keys = {login_keys(services, "", request)[1]};
    DbPool::Lease db = services.db.acquire();
    if (auto locked = current_lockout(*db, keys))
        throw HttpError(lockout_response(*locked, "sign-in attempts"));
    json::Ptr detail = json::own(json_object());
    json::set(detail.get(), "reason", json::own(json_string("malformed_username")));
    pg::Transaction transaction(*db);
    FailureOutcome outcome = record_failure(*db, keys);
    audit(*db, {std::nullopt, "", request.client_address, "login", "failure", std::move(detail)});
    transaction.commit();
    if (outcome.lockout)
        throw HttpError(lockout_response(*outcome.lockout, "sign-in attempts"));
    throw HttpError(401, "invalid_credentials", "invalid username or password");
}

Response login(Services& services, const Request& request) {
    json::Ptr body = json_object_body(request);
    std::string username = required_string(body.get(), "username");
    std::string password = required_string(body.get(), "password");
    if (!valid_username(username))
        refuse_malformed_username(services, request);

    pg::Result user = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("SELECT id, password_hash, role, is_first_login FROM users"
                        " WHERE username = $1",
                        {username});
    }();
    bool known = user.rows() == 1;
    std::optional<long long> user_id = known ? std::optional(user.integer(0, 0)) : std::nullopt;
    std::optional<std::string> verified_hash =
        known ? std::optional(std::string(user.text(0, 1))) : std::nullopt;
    // A client with a live device cookie for this user is counted on its own (OWASP device
    // cookies): the account's and the address's counts are those of untrusted clients.
    std::optional<TrustedDevice> device =
        known ? trusted_device(services, request, *user_id) : std::nullopt;
    std::vector<ThrottleKey> keys =
        device ? std::vector{device_cookie_throttle_key(services, device->id)}
               : login_keys(services, username, request);
    check_secret(services, request,
                 {SecretKind::password, std::move(keys), user_id, username, "login"}, verified_hash,
                 password);

    std::string token = crypto::random_token();
    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    // Only if the hash just verified is still the account's: a password reset that committed
    // during the verification wins. The scope follows the row as it is now.
    pg::Result session = db->exec(
        "INSERT INTO sessions (user_id, token_hash, expires_at, scope, client_address)"
        " SELECT u.id, decode($2, 'hex'), now() + $3::bigint * interval '1 second',"
        "  CASE WHEN u.require_password_change THEN 'setup' ELSE 'full' END, $5"
        " FROM users u WHERE u.id = $1 AND u.password_hash = $4"
        " RETURNING public_id, " +
            iso8601_sql("expires_at") + ", scope = 'setup'",
        {std::to_string(*user_id), crypto::hex_encode(credential_hash(services.pepper, token)),
         std::to_string(services.auth.session_ttl.count()), *verified_hash,
         request.client_address});
    if (session.rows() != 1)
        throw HttpError(401, "invalid_credentials", "invalid username or password");
    std::string device_token = remember_device(*db, services, *user_id, device);
    json::Ptr audit_detail = json::own(json_object());
    json::set(audit_detail.get(), "deviceCookie",
              json::own(json_string(device ? "presented" : "issued")));
    audit(*db,
          {user_id, username, request.client_address, "login", "success", std::move(audit_detail)});
    transaction.commit();
    await_brokers(*db); // the token is also this user's MQTT password
    bool setup_pending = session.boolean(0, 2);

    json::Ptr reply = json::own(json_object());
    int status = 200;
    if (setup_pending) {
        // The seed's 403 answer, plus a token that reaches first-setup (and nothing else).
        status = 403;
        reply = error_object("setup_required", "Password must be changed on first login");
        json::set(reply.get(), "requiresSetup", json::own(json_true()));
        json::set(reply.get(), "message",
                  json::own(json_string("Please complete first-time setup at "
                                        "/api/auth/first-setup")));
    } else {
        json::set(reply.get(), "success", json::own(json_true()));
    }
    json::set(reply.get(), "token", json::own(json_string(token.c_str())));
    json::Ptr session_object = json::own(json_object());
    json::set(session_object.get(), "id",
              json::own(json_string(std::string(session.text(0, 0)).c_str())));
    json::set(session_object.get(), "expiresAt",
              json::own(json_string(std::string(session.text(0, 1)).c_str())));
    json::set(reply.get(), "session", std::move(session_object));
    json::set(
        reply.get(), "user",
        user_object(username, std::string(user.text(0, 2)), setup_pending, user.boolean(0, 4)));
    // For apps, which keep it and send it back as X-Device-Cookie; browsers get the cookie.
    json::set(reply.get(), "deviceCookie", json::own(json_string(device_token.c_str())));
    Response response = json_response(status, reply.get());
    response.headers.emplace_back(
        "Set-Cookie", device_cookie_header_value(device_token,
                                                 std::chrono::duration_cast<std::chrono::seconds>(
                                                     services.auth.device_cookie_ttl)
                                                     .count(),
                                                 request.https));
    return response;
}

Response session_info(Services&, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr session = json::own(json_object());
    json::set(session.get(), "id", json::own(json_string(caller.session_id.c_str())));
    json::set(session.get(), "username", json::own(json_string(caller.username.c_str())));
    json::set(session.get(), "createdAt", json::own(json_string(caller.created_at.c_str())));
    json::set(session.get(), "expiresAt", json::own(json_string(caller.expires_at.c_str())));
    json::set(session.get(), "lastActivity", json::own(json_string(caller.last_activity.c_str())));
    json::set(session.get(), "scope", json::own(json_string(caller.scope.c_str())));
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::set(reply.get(), "session", std::move(session));
    json::set(reply.get(), "user",
              user_object(caller.username, caller.role, caller.require_password_change,
                          caller.is_first_login));
    return json_response(200, reply.get());
}

Response logout(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    {
        DbPool::Lease db = services.db.acquire();
        pg::Transaction transaction(*db);
        db->exec("UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                 {std::to_string(caller.session_row)});
        audit(*db, {caller.user_id, caller.username, request.client_address, "logout", "success",
                    nullptr});
        transaction.commit();
    }
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::set(reply.get(), "message", json::own(json_string("Logged out successfully")));
    return json_response(200, reply.get());
}

} // namespace

void add_account_routes(Router& router, Services& services) {
    router.add(
        "POST", "/api/auth/register", Access::anyone("creates an account; throttled"),
        [&services](const Request& request) { return register_user(services, request); },
        Lane::slow);
    router.add(
        "POST", "/api/auth/login", Access::anyone("checks the password; throttled"),
        [&services](const Request& request) { return login(services, request); }, Lane::slow);
    router.add("GET", "/api/auth/session", Access::setup_session(),
               [&services](const Request& request) { return session_info(services, request); });
    router.add("POST", "/api/auth/logout", Access::setup_session(),
               [&services](const Request& request) { return logout(services, request); });
}

} // namespace sarang::http
