#pragma once
// Who is calling. User endpoints take a session token (Authorization: Bearer); device-facing
// endpoints take the device's credential (Bearer or X-API-Key). Neither works on the other's
// endpoints: a token is looked up only in the table of its kind.
#include "router.hpp"
#include "services.hpp"

#include <optional>
#include <string>

namespace sarang::http {

struct UserCaller {
    long long user_id = 0;
    std::string username;
    std::string role;
    long long session_row = 0;
    std::string session_id; // the public uuid
    std::string scope;      // full or setup
    bool require_password_change = false;
    bool is_first_login = false;
    std::string created_at, expires_at, last_activity; // ISO 8601
    bool admin() const { return role == "admin"; }
};

enum class SessionScope {
    full_only, // every endpoint but the three below
    setup_too, // first-setup, session, logout: reachable before the first password change
};

// 401 (missing, unknown, expired or revoked token) or 403 setup_required.
UserCaller require_user(Services& services, const Request& request, SessionScope scope);

struct DeviceCaller {
    std::string id, name, kind, topic_prefix, state;
};

// 401 unless the request carries a live credential of a device that is not revoked (the
// previous credential counts during its rotation grace).
DeviceCaller require_device(Services& services, const Request& request);

// The token of "Authorization: Bearer <token>", if that is what the header holds.
std::optional<std::string> bearer_token(const Request& request);

} // namespace sarang::http
