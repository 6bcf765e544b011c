#pragma once
// The door lock's shared lockout state in PostgreSQL (door_pin_lockouts, sql/0011_doorlock.sql),
// its audit rows and its security alert. Used by the broker's doorlock worker (keypad) and the
// sidecar (remote unlock), so both paths draw on one budget per lock and per account.
//
// A check is: admit() in its own short transaction (row locks on both keys, account first, so
// two checks never wait on each other in opposite orders), then argon2id with no transaction
// open, then settle(). Never call admit/settle on the broker thread.
#include "sarang/door_pin.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>

namespace sarang::door {

struct Keys {
    std::string device_id;
    long long owner_id = 0;
};

struct Admission {
    bool allowed = false;
    int attempt = 0;         // when allowed: this attempt's number in the row of failures
    WallTime until{};        // when refused: the lock's end
    long long remaining = 0; // when refused: seconds left
};
Admission admit(pg::Connection& db, const Keys& keys, const Rule& rule);

struct Settlement {
    std::optional<WallTime> locked_until; // this failure locked both keys until then
    long long remaining_seconds = 0;
    int remaining_attempts = 0;
};
// A right PIN forgets both keys' attempts; a wrong one may start the lockout on both.
Settlement settle(pg::Connection& db, const Keys& keys, int attempt, bool ok, const Rule& rule);

// One audit_log row; `detail_json` is a JSON object (never with the PIN in it) or empty.
struct AuditRow {
    std::optional<long long> user_id;
    std::string username;
    std::string client_address;
    std::string action;  // door_keypad, door_remote
    std::string outcome; // success, failure, locked, denied
    std::string detail_json;
};
void audit(pg::Connection& db, const AuditRow& row);

// The security alert of a lockout: a lock_alert notification for the owner and an 'alert'
// device event, once per lockout (keyed by its end). Errors are the caller's to log: the count
// has committed by then and must stand.
void raise_lockout_alert(pg::Connection& db, const Keys& keys, WallTime until,
                         long long remaining_seconds, int attempts, std::string_view method);

} // namespace sarang::door
