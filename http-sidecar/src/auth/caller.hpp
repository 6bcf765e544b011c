#pragma once
// Who is calling. User endpoints take a session token (Authorization: Bearer); device-facing
// endpoints take the device's credential (Bearer or X-API-Key). Neither works on the other's
// endpoints: a token is looked up only in the table of its kind.
#include "auth/identity.hpp"
#include "router.hpp"
#include "services.hpp"

#include <optional>
#include <string>

namespace sarang::http {

enum class SessionScope {
    full_only, // every endpoint but the three below
    setup_too, // first-setup, session, logout: reachable before the first password change
};

// 401 (missing, unknown, expired or revoked token) or 403 setup_required.
UserCaller require_user(Services& services, const Request& request, SessionScope scope);

// 401 unless the request carries a live credential of a device that is not revoked (the
// previous credential counts during its rotation grace).
DeviceCaller require_device(Services& services, const Request& request);

// The token of "Authorization: Bearer <token>", if that is what the header holds.
std::optional<std::string> bearer_token(const Request& request);

// `request` with ?access_token= as its Authorization header when it has none (the stream route:
// browsers' EventSource cannot send headers).
Request with_query_token(const Request& request);

} // namespace sarang::http
