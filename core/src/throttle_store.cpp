#include "sarang/throttle_store.hpp"

#include <algorithm>

namespace sarang {
namespace {

constexpr const char* select_state =
    "SELECT failures, (extract(epoch FROM last_failure_at) * 1000000)::bigint,"
    " (extract(epoch FROM locked_until) * 1000000)::bigint"
    " FROM auth_throttle WHERE scope = $1 AND subject = $2";

LockoutState state_from(const pg::Result& rows) {
    LockoutState state;
    if (rows.rows() == 1) {
        state.failures = static_cast<int>(rows.integer(0, 0));
        state.last_failure = from_epoch_micros(rows.integer(0, 1));
        state.locked_until = from_epoch_micros(rows.integer(0, 2));
    }
    return state;
}

} // namespace

std::optional<Lockout> current_lockout(pg::Connection& db, const std::vector<ThrottleKey>& keys) {
    WallTime now = std::chrono::system_clock::now();
    std::optional<Lockout> longest;
    for (const ThrottleKey& key : keys) {
        LockoutState state = state_from(db.exec(select_state, {key.scope, key.subject}));
        if (auto remaining = lockout_remaining(state, now);
            remaining && (!longest || state.locked_until > longest->until))
            longest = Lockout{state.locked_until, *remaining};
    }
    return longest;
}

FailureOutcome record_failure(pg::Connection& db, const std::vector<ThrottleKey>& keys) {
    WallTime now = std::chrono::system_clock::now();
    FailureOutcome outcome;
    pg::Connection& transaction = db;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const ThrottleKey& key = keys[i];
        transaction.exec("INSERT INTO auth_throttle (scope, subject, failures, last_failure_at,"
                         " locked_until) VALUES ($1, $2, 0, 'epoch', 'epoch')"
                         " ON CONFLICT DO NOTHING",
                         {key.scope, key.subject});
        LockoutState before = state_from(
            transaction.exec(std::string(select_state) + " FOR UPDATE", {key.scope, key.subject}));
        LockoutState after = after_failure(before, key.rule, now);
        transaction.exec("UPDATE auth_throttle SET failures = $3,"
                         " last_failure_at = to_timestamp($4::bigint / 1000000.0),"
                         " locked_until = to_timestamp($5::bigint / 1000000.0)"
                         " WHERE scope = $1 AND subject = $2",
                         {key.scope, key.subject, std::to_string(after.failures),
                          epoch_micros_text(after.last_failure),
                          epoch_micros_text(after.locked_until)});
        if (auto remaining = lockout_remaining(after, now);
            remaining && (!outcome.lockout || after.locked_until > outcome.lockout->until))
            outcome.lockout = Lockout{after.locked_until, *remaining};
        if (i == 0)
            outcome.remaining_attempts = attempts_before_lockout(after, key.rule, now);
    }
    return outcome;
}

void forget_failures(pg::Connection& db, const ThrottleKey& key) {
    db.exec("DELETE FROM auth_throttle WHERE scope = $1 AND subject = $2",
            {key.scope, key.subject});
}

} // namespace sarang
