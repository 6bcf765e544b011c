#pragma once
// Device cookies at sign-in (docs/http-api.md "Login throttling"): a client that signed in as a
// user before presents its cookie, and while that cookie is live and not itself locked, its
// attempts are counted against the cookie alone. Other clients' failures (the per-account and
// per-address counts of clients without a cookie) therefore never lock it out, which is what
// keeps one attacker behind a carrier-grade NAT or an office proxy from locking out everyone
// there.
#include "auth/throttle.hpp"
#include "router.hpp"
#include "services.hpp"

#include <optional>
#include <string>

namespace sarang::http {

struct TrustedDevice {
    long long id = 0;  // device_cookies.id
    std::string token; // as presented; handed back after the sign-in
};

// The live, unlocked device cookie `request` presents for `user_id` (X-Device-Cookie header,
// else the sarang_device cookie), if any. A forged, foreign, expired or locked one is none: the
// client is then an untrusted one.
std::optional<TrustedDevice> trusted_device(Services& services, const Request& request,
                                            long long user_id);

// The only throttle key of a sign-in with a trusted device cookie.
ThrottleKey device_cookie_throttle_key(const Services& services, long long cookie_id);

// After a successful sign-in, inside the caller's transaction: renews the cookie used, or issues
// a new one (and keeps at most 20 per user, dropping expired ones). Returns its token.
std::string remember_device(pg::Connection& db, const Services& services, long long user_id,
                            const std::optional<TrustedDevice>& used);

} // namespace sarang::http
