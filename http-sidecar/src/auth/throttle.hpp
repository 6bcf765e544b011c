#pragma once
// Brute-force counters in auth_throttle, driven by core/lockout. A check names every key it is
// guarded by (the account and the client address); the longest lockout among them wins.
#include "response.hpp"
#include "sarang/lockout.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sarang::http {

struct ThrottleKey {
    std::string scope;   // login-account, login-address, pin, password, register-address
    std::string subject; // username, user id or client address
    LockoutRule rule;
};

struct Lockout {
    WallTime until;
    std::chrono::seconds remaining;
};

// The current lockout among the keys, if any.
std::optional<Lockout> current_lockout(pg::Connection& db, const std::vector<ThrottleKey>& keys);

// Counts one failure against every key. Call inside a transaction (rows are locked so that
// concurrent failures all count, and the caller's audit row commits with them). Returns the lockout
// this failure started, if any, and the failures the first key still allows before it locks.
struct FailureOutcome {
    std::optional<Lockout> lockout;
    int remaining_attempts = 0;
};
FailureOutcome record_failure(pg::Connection& db, const std::vector<ThrottleKey>& keys);

// A success forgets the account's failures (not the address's).
void forget_failures(pg::Connection& db, const ThrottleKey& key);

// 429 {"error", "code": "locked_out", "lockoutUntil", "remainingSeconds"} with Retry-After.
Response lockout_response(const Lockout& lockout, std::string_view what);

} // namespace sarang::http
