#include "caller.hpp"

#include "http_error.hpp"
#include "sarang/credentials.hpp"
#include "time_text.hpp"

#include <strings.h>

namespace sarang::http {
namespace {

HttpError unauthorized(std::string_view message) {
    Response response = error_response(401, "unauthorized", message);
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return HttpError(std::move(response));
}

std::string hash_hex(const Services& services, std::string_view token) {
    return crypto::hex_encode(credential_hash(services.pepper, token));
}

const std::string select_session =
    "SELECT s.id, s.public_id, s.scope, " + iso8601_sql("s.created_at") + ", " +
    iso8601_sql("s.expires_at") + ", " + iso8601_sql("s.last_activity_at") +
    ", s.last_activity_at < now() - interval '1 minute',"
    " u.id, u.username, u.role, u.require_password_change, u.is_first_login"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL AND s.expires_at > now()";

} // namespace

std::optional<std::string> bearer_token(const Request& request) {
    const std::string* header = request.header("authorization");
    if (header == nullptr)
        return std::nullopt;
    constexpr std::string_view scheme = "bearer ";
    if (header->size() <= scheme.size() ||
        strncasecmp(header->c_str(), scheme.data(), scheme.size()) != 0) // RFC 7235: any case
        return std::nullopt;
    std::string token = header->substr(scheme.size());
    while (!token.empty() && token.back() == ' ')
        token.pop_back();
    return token;
}

Request with_query_token(const Request& request) {
    Request copy = request;
    auto token = request.query.find("access_token");
    if (request.header("authorization") == nullptr && token != request.query.end())
        copy.headers["authorization"] = "Bearer " + token->second;
    return copy;
}

UserCaller require_user(Services& services, const Request& request, SessionScope scope) {
    std::optional<std::string> token = bearer_token(request);
    if (!token)
        throw unauthorized("sign in first: send Authorization: Bearer <session token>");
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        pg::Result found = db->exec(select_session, {hash_hex(services, *token)});
        // lastActivity slides at most once a minute: one write per request would be waste.
        if (found.rows() == 1 && found.boolean(0, 6))
            db->exec("UPDATE sessions SET last_activity_at = now() WHERE id = $1",
                     {std::string(found.text(0, 0))});
        return found;
    }();
    if (rows.rows() != 1)
        throw unauthorized("the session is unknown, expired or ended; sign in again");
    UserCaller caller;
    caller.session_row = rows.integer(0, 0);
    caller.session_id = rows.text(0, 1);
    caller.scope = rows.text(0, 2);
    caller.created_at = rows.text(0, 3);
    caller.expires_at = rows.text(0, 4);
    caller.last_activity = rows.text(0, 5);
    caller.user_id = rows.integer(0, 7);
    caller.username = rows.text(0, 8);
    caller.role = rows.text(0, 9);
    caller.require_password_change = rows.boolean(0, 10);
    caller.is_first_login = rows.boolean(0, 11);
    if (scope == SessionScope::full_only && caller.scope != "full") {
        json::Ptr body = error_object("setup_required", "complete the first-time setup at "
                                                        "/api/auth/first-setup first");
        json::set(body.get(), "requiresSetup", json::own(json_true()));
        throw HttpError(json_response(403, body.get()));
    }
    return caller;
}

DeviceCaller require_device(Services& services, const Request& request) {
    std::optional<std::string> token = bearer_token(request);
    if (const std::string* api_key = request.header("x-api-key"); !token && api_key)
        token = *api_key;
    if (!token || token->empty())
        throw unauthorized("send the device credential as Authorization: Bearer or X-API-Key");
    // HMAC under the server's pepper: the lookup by hash reveals nothing an attacker could
    // steer, so no separate constant-time compare is needed here.
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("SELECT id, name, kind, topic_prefix, state FROM devices"
                        " WHERE state <> 'revoked' AND (credential_hash = decode($1, 'hex')"
                        "  OR (previous_credential_hash = decode($1, 'hex')"
                        "      AND previous_credential_expires_at > now()))",
                        {hash_hex(services, *token)});
    }();
    if (rows.rows() != 1)
        throw unauthorized("unknown or revoked device credential");
    return {std::string(rows.text(0, 0)), std::string(rows.text(0, 1)),
            std::string(rows.text(0, 2)), std::string(rows.text(0, 3)),
            std::string(rows.text(0, 4))};
}

} // namespace sarang::http
