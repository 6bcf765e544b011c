#pragma once
// Exponential lockout after repeated failures (logins, PIN checks), as pure arithmetic on a
// small state that the caller stores (the sidecar keeps it in PostgreSQL so every sidecar
// instance and a restart see the same counts).
//
// The `lock_after`-th failure in a row locks for `base`; every further one doubles it, up to
// `max` (the seed: 30 s after 3 failures). A quiet period of `forget_after` since the last failure
// starts the count again; a success resets it (for accounts, not for addresses).
#include <chrono>
#include <optional>
#include <string>

namespace sarang {

using WallTime = std::chrono::system_clock::time_point;

// Times as epoch microseconds: how the lockout stores keep them in PostgreSQL (exact, and free
// of time zones).
inline WallTime from_epoch_micros(long long value) {
    return WallTime(
        std::chrono::duration_cast<WallTime::duration>(std::chrono::microseconds(value)));
}
inline std::string epoch_micros_text(WallTime at) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count());
}

struct LockoutRule {
    int lock_after = 3;
    std::chrono::seconds base{30};
    std::chrono::seconds max{900};
    std::chrono::seconds forget_after{3600};
};

// A plain rate limit rather than a guessing lockout: `attempts` an hour, then a wait of an hour
// (codes sent, pre-registrations, test messages).
inline LockoutRule per_hour(int attempts) {
    return {attempts, std::chrono::hours(1), std::chrono::hours(1), std::chrono::hours(1)};
}

struct LockoutState {
    int failures = 0;
    WallTime last_failure{};
    WallTime locked_until{};
};

// How long the `failures`-th failure in a row locks: nothing before `lock_after`, then `base`
// doubling up to `max`. The one schedule of logins, PINs, claims and door locks.
std::optional<std::chrono::seconds> lockout_for(int failures, const LockoutRule& rule);

// The state after one more failure at `now`.
LockoutState after_failure(const LockoutState& state, const LockoutRule& rule, WallTime now);

// Time left before another attempt may be made; nullopt when not locked.
std::optional<std::chrono::seconds> lockout_remaining(const LockoutState& state, WallTime now);

// Failures still allowed before the lockout starts (the seed's "remaining attempts").
int attempts_before_lockout(const LockoutState& state, const LockoutRule& rule, WallTime now);

} // namespace sarang
