#pragma once
// The daemon's Authenticator (router.hpp): each route's Access rule checked against the
// database, the caller written into the request.
#include "router.hpp"
#include "services.hpp"

namespace sarang::http {

// 401 (no or a bad credential), 403 (setup_required; forbidden for a non-admin on an admin
// route), 404 (someone else's device on a device_owner route), as the handlers answered when
// they checked for themselves.
void authenticate(Services& services, const Access& access, Request& request);

inline Authenticator authenticator(Services& services) {
    return [&services](const Access& access, Request& request) {
        authenticate(services, access, request);
    };
}

} // namespace sarang::http
