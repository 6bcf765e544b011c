#include "sarang/door_pin_store.hpp"

#include "sarang/json.hpp"

#include <algorithm>
#include <array>

namespace sarang::door {
namespace {

struct Key {
    const char* scope;
    std::string subject;
};

// Account first: every check locks in this order.
std::array<Key, 2> keys_of(const Keys& keys) {
    return {Key{"account", std::to_string(keys.owner_id)}, Key{"device", keys.device_id}};
}

} // namespace

Admission admit(pg::Connection& db, const Keys& keys, const Rule& rule) {
    pg::Transaction transaction(db);
    std::array<KeyState, 2> states;
    // The database's clock, so the broker and every sidecar agree on the schedule.
    WallTime now{};
    std::array<Key, 2> list = keys_of(keys);
    for (std::size_t i = 0; i < list.size(); ++i) {
        transaction.exec("INSERT INTO door_pin_lockouts (scope, subject, last_attempt_at,"
                         " attempts) VALUES ($1, $2, 'epoch', 0) ON CONFLICT DO NOTHING",
                         {list[i].scope, list[i].subject});
        pg::Result row = transaction.exec(
            "SELECT attempts, (extract(epoch FROM last_attempt_at) * 1000000)::bigint,"
            " (extract(epoch FROM locked_until) * 1000000)::bigint,"
            " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
            " FROM door_pin_lockouts WHERE scope = $1 AND subject = $2 FOR UPDATE",
            {list[i].scope, list[i].subject});
        states[i] = {static_cast<int>(row.integer(0, 0)), from_epoch_micros(row.integer(0, 1)),
                     from_epoch_micros(row.integer(0, 2))};
        now = from_epoch_micros(row.integer(0, 3));
    }
    Admission admission;
    std::array<Reservation, 2> reservations;
    for (std::size_t i = 0; i < list.size(); ++i) {
        reservations[i] = reserve(states[i], rule, now);
        if (!reservations[i].allowed && reservations[i].until > admission.until)
            admission.until = reservations[i].until;
    }
    if (admission.until > WallTime{}) {
        admission.remaining = seconds_left(admission.until, now);
        return admission; // rolled back: a refused attempt counts nothing
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const KeyState& next = reservations[i].next;
        transaction.exec("UPDATE door_pin_lockouts SET attempts = $3,"
                         " last_attempt_at = to_timestamp($4::bigint / 1000000.0),"
                         " locked_until = to_timestamp($5::bigint / 1000000.0)"
                         " WHERE scope = $1 AND subject = $2",
                         {list[i].scope, list[i].subject, std::to_string(next.failures),
                          epoch_micros_text(next.last_failure),
                          epoch_micros_text(next.locked_until)});
        admission.attempt = std::max(admission.attempt, reservations[i].attempt);
    }
    transaction.commit();
    admission.allowed = true;
    return admission;
}

Settlement settle(pg::Connection& db, const Keys& keys, int attempt, bool ok, const Rule& rule) {
    Settlement settlement;
    std::array<Key, 2> list = keys_of(keys);
    if (ok) {
        pg::Transaction transaction(db);
        for (const Key& key : list)
            transaction.exec("DELETE FROM door_pin_lockouts WHERE scope = $1 AND subject = $2",
                             {key.scope, key.subject});
        transaction.commit();
        return settlement;
    }
    settlement.remaining_attempts = remaining_attempts(attempt, rule);
    WallTime now = from_epoch_micros(
        db.exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").integer(0, 0));
    std::optional<WallTime> until = lock_after_failure(attempt, rule, now);
    if (!until)
        return settlement;
    // Both keys, even when only one reached the lock: the seed's rule locks the lock and the
    // account together. The row may be gone (a right PIN meanwhile): the failure still locks.
    pg::Transaction transaction(db);
    for (const Key& key : list)
        transaction.exec("INSERT INTO door_pin_lockouts (scope, subject, last_attempt_at, attempts,"
                         " locked_until) VALUES ($1, $2, to_timestamp($3::bigint / 1000000.0), $4,"
                         " to_timestamp($5::bigint / 1000000.0))"
                         " ON CONFLICT (scope, subject) DO UPDATE SET locked_until ="
                         " greatest(door_pin_lockouts.locked_until, excluded.locked_until)",
                         {key.scope, key.subject, epoch_micros_text(now), std::to_string(attempt),
                          epoch_micros_text(*until)});
    transaction.commit();
    settlement.locked_until = *until;
    settlement.remaining_seconds = seconds_left(*until, now);
    return settlement;
}

void audit(pg::Connection& db, const AuditRow& row) {
    std::optional<std::string> user =
        row.user_id ? std::optional(std::to_string(*row.user_id)) : std::nullopt;
    std::optional<std::string> address =
        row.client_address.empty() ? std::nullopt : std::optional(row.client_address);
    std::optional<std::string> detail =
        row.detail_json.empty() ? std::nullopt : std::optional(row.detail_json);
    db.exec("INSERT INTO audit_log (user_id, username, client_address, action, outcome, detail)"
            " VALUES ($1::bigint, $2, $3, $4, $5, $6::jsonb)",
            {user, row.username, address, row.action, row.outcome, detail});
}

void raise_lockout_alert(pg::Connection& db, const Keys& keys, WallTime until,
                         long long remaining_seconds, int attempts, std::string_view method) {
    std::string until_text = iso8601(until);
    json::Ptr data = json::own(json_object());
    json::set(data.get(), "attempts", json::own(json_integer(attempts)));
    json::set(data.get(), "lockout", json::own(json_true()));
    json::set(data.get(), "lockoutUntil", json::own(json_string(until_text.c_str())));
    json::set(data.get(), "remainingSeconds", json::own(json_integer(remaining_seconds)));
    json::set(data.get(), "method", json::own(json_stringn(method.data(), method.size())));
    json::set(data.get(), "source", json::own(json_string("sarang")));
    std::string text = json::dump(data.get());
    pg::Transaction transaction(db);
    transaction.exec("INSERT INTO notifications (user_id, kind, device_id, data, dedupe_key)"
                     " VALUES ($1::bigint, 'lock_alert', $2, $3::jsonb, $4)"
                     " ON CONFLICT (dedupe_key) DO NOTHING",
                     {std::to_string(keys.owner_id), keys.device_id, text,
                      "lock_alert:" + keys.device_id + ":" + epoch_micros_text(until)});
    transaction.exec("INSERT INTO device_events (device_id, subtopic, at, payload)"
                     " VALUES ($1, 'alert', clock_timestamp(), $2::jsonb) ON CONFLICT DO NOTHING",
                     {keys.device_id, text});
    transaction.commit();
}

} // namespace sarang::door
