#pragma once
// Brute-force counters in the auth_throttle table, driven by sarang/lockout. A check names every
// key it is guarded by (an account, a device, a client address); the longest lockout among them
// wins. Shared by the sidecar and the broker's provisioning worker, so a PIN guessed over MQTT
// and over HTTP draws on one budget.
#include "sarang/lockout.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sarang {

struct ThrottleKey {
    std::string scope;   // login-account, login-address, pin, device-pin, ...
    std::string subject; // username, user id, device id or client address
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

// A success forgets the failures of one key (the account's or device's, not the address's).
void forget_failures(pg::Connection& db, const ThrottleKey& key);

// Admission before verification (the door path's rule, sarang/door_pin_store): one transaction
// checks every key's lockout and, unless one is locked, counts this attempt as a failure against
// all of them, with the rows locked. Concurrent guesses therefore queue on the rows and each sees
// the ones before it: a rule that allows 3 failures lets at most 3 attempts be verified, however
// many arrive at once. The attempt that fills the window holds the lockout while it is verified.
// Opens its own transaction: call it with no transaction open.
struct Attempt {
    std::optional<Lockout> refused; // locked out already: nothing was counted
    FailureOutcome failure;         // admitted: what was counted, as record_failure reports it
    std::vector<LockoutState> before, after; // per key, for release_attempt
};
Attempt admit_attempt(pg::Connection& db, const std::vector<ThrottleKey>& keys);

// Settles an admitted attempt that succeeded: forgets the first key's failures (as
// forget_failures; with forget_first false it is given its count back like the others) and gives
// every other key its count back, with the lockout this attempt started, unless a later attempt
// changed it meanwhile. A failed attempt needs nothing more.
void release_attempt(pg::Connection& db, const std::vector<ThrottleKey>& keys,
                     const Attempt& attempt, bool forget_first = true);

} // namespace sarang
