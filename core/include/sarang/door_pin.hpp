#pragma once
// The door lock's PIN checks as pure logic (docs/doorlock.md): the keypad's attempt and the
// broker's verdict payloads, and the lockout arithmetic both paths (keypad in the doorlock
// plugin, remote unlock in the sidecar) apply to the door_pin_lockouts rows.
//
// The lockout is the logins' schedule (core lockout): the 3rd attempt in a row that is not
// proved right locks for 30 s, each further one doubles it up to 15 min, and an hour without
// attempts forgets them. It counts attempts, not only failures: an attempt takes its place before
// its PIN is verified (a reservation), so a burst of concurrent guesses is refused once the lock
// is reached instead of all being verified against a count nobody has raised yet. The attempt
// that reaches the lock holds it while it is verified; a right PIN lifts it and forgets the count.
#include "sarang/lockout.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sarang::door {

// Fixed, not configurable: the broker and every sidecar must apply the same numbers to the same
// rows. The defaults are the logins' (3 attempts, 30 s doubling to 900 s, forgotten after 1 h).
using Rule = LockoutRule;

// One door_pin_lockouts row (a lock or an account): attempts in a row not proved right, the
// last one's time, the lock's end.
using KeyState = LockoutState;

struct Reservation {
    bool allowed = false;
    KeyState next;    // to store when allowed
    int attempt = 0;  // this attempt's number in the row (1-based) when allowed
    WallTime until{}; // when refused: the lock's end
};

// Whether one more attempt may be verified now, and the state that counts it.
Reservation reserve(const KeyState& state, const Rule& rule, WallTime now);

// The lock a failed attempt numbered `attempt` starts (until now + the schedule's length), if any.
std::optional<WallTime> lock_after_failure(int attempt, const Rule& rule, WallTime now);
// Attempts still allowed after a failed attempt numbered `attempt`.
int remaining_attempts(int attempt, const Rule& rule);
// Whole seconds left (rounded up, at least 1 while locked); 0 when not locked.
long long seconds_left(WallTime until, WallTime now);

// ISO 8601 UTC with milliseconds ("2025-11-13T10:00:00.000Z"), as the seeds write times.
std::string iso8601(WallTime at);

// The keypad's attempt on {prefix}/pin/attempt: {"pin": "1234", "attemptId": "k-17"}.
// attemptId is optional (the verdict echoes it; 1-64 printable ASCII characters).
struct Attempt {
    std::string pin;
    std::string attempt_id;
};
constexpr std::size_t max_attempt_bytes = 1024;
// nullopt and a reason (never containing the PIN) when the payload is not an attempt.
std::optional<Attempt> parse_attempt(std::string_view payload, std::string& problem);

// The verdict on {prefix}/pin/verdict:
// {"attemptId", "ok", "remainingAttempts"?, "lockoutUntil"?, "remainingSeconds"?, "error"?}.
struct Verdict {
    std::string attempt_id;
    bool ok = false;
    std::optional<int> remaining_attempts;
    std::optional<WallTime> lockout_until;
    long long remaining_seconds = 0;
    std::string error; // empty, or malformed, no_pin, locked_out, invalid_pin, unavailable
};
std::string verdict_json(const Verdict& verdict);

// What a lock's own alert ({prefix}/alert, the seed's {"attempts": 5, "lockout": true}) puts in
// its lock_alert notification: those two fields when they have the right types, and
// "source": "lock". nullopt when the payload is not a JSON object.
std::optional<std::string> lock_alert_data(std::string_view payload);

// {"action": "unlock", "method": "keypad" | "remote"} for {prefix}/control.
std::string unlock_json(std::string_view method);

} // namespace sarang::door
