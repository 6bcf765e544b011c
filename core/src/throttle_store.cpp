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

Attempt admit_attempt(pg::Connection& db, const std::vector<ThrottleKey>& keys) {
    WallTime now = std::chrono::system_clock::now();
    Attempt attempt;
    pg::Transaction transaction(db);
    for (const ThrottleKey& key : keys) {
        transaction.exec("INSERT INTO auth_throttle (scope, subject, failures, last_failure_at,"
                         " locked_until) VALUES ($1, $2, 0, 'epoch', 'epoch')"
                         " ON CONFLICT DO NOTHING",
                         {key.scope, key.subject});
        attempt.before.push_back(state_from(
            transaction.exec(std::string(select_state) + " FOR UPDATE", {key.scope, key.subject})));
        const LockoutState& state = attempt.before.back();
        if (auto remaining = lockout_remaining(state, now);
            remaining && (!attempt.refused || state.locked_until > attempt.refused->until))
            attempt.refused = Lockout{state.locked_until, *remaining};
    }
    if (attempt.refused)
        return attempt; // rolled back: a refused attempt counts nothing
    for (std::size_t i = 0; i < keys.size(); ++i) {
        LockoutState after = after_failure(attempt.before[i], keys[i].rule, now);
        transaction.exec("UPDATE auth_throttle SET failures = $3,"
                         " last_failure_at = to_timestamp($4::bigint / 1000000.0),"
                         " locked_until = to_timestamp($5::bigint / 1000000.0)"
                         " WHERE scope = $1 AND subject = $2",
                         {keys[i].scope, keys[i].subject, std::to_string(after.failures),
                          epoch_micros_text(after.last_failure),
                          epoch_micros_text(after.locked_until)});
        if (auto remaining = lockout_remaining(after, now);
            remaining &&
            (!attempt.failure.lockout || after.locked_until > attempt.failure.lockout->until))
            attempt.failure.lockout = Lockout{after.locked_until, *remaining};
        if (i == 0)
            attempt.failure.remaining_attempts = attempts_before_lockout(after, keys[i].rule, now);
        attempt.after.push_back(after);
    }
    transaction.commit();
    return attempt;
}

void release_attempt(pg::Connection& db, const std::vector<ThrottleKey>& keys,
                     const Attempt& attempt, bool forget_first) {
    if (keys.empty() || attempt.after.size() != keys.size())
        return;
    pg::Transaction transaction(db);
    if (forget_first)
        forget_failures(db, keys.front());
    for (std::size_t i = forget_first ? 1 : 0; i < keys.size(); ++i) {
        // The stored lockout is compared in microseconds, as it was written.
        transaction.exec(
            "UPDATE auth_throttle SET failures = greatest(failures - 1, 0),"
            " locked_until = CASE WHEN (extract(epoch FROM locked_until) * 1000000)::bigint ="
            " $3::bigint THEN to_timestamp($4::bigint / 1000000.0) ELSE locked_until END"
            " WHERE scope = $1 AND subject = $2",
            {keys[i].scope, keys[i].subject, epoch_micros_text(attempt.after[i].locked_until),
             epoch_micros_text(attempt.before[i].locked_until)});
    }
    transaction.commit();
}

void forget_failures(pg::Connection& db, const ThrottleKey& key) {
    db.exec("DELETE FROM auth_throttle WHERE scope = $1 AND subject = $2",
            {key.scope, key.subject});
}

} // namespace sarang
