// The checker worker: one keypad attempt at a time, off the broker thread.
//
// For each attempt: parse it (core door_pin.hpp; a malformed one is answered "malformed" and
// counts nothing), check that it comes from a door lock on its own attempt topic, find the
// owner's door PIN hash, then admit -> argon2id -> settle against the lockout state the sidecar
// shares (core door_pin_store.hpp), audit it, raise the alert when this failure locks, and post
// the verdict (and on success the unlock) for TICK to publish. The PIN never leaves this
// function: the lock only ever receives verdicts and unlock commands.
//
// QoS 1 redeliveries: the last attempt ids per lock are remembered, and a repeat gets the same
// verdict again without a second check, count or unlock.
//
// Database outages: the lock is answered "unavailable" (it may retry); nothing is unlocked.
#include "doorlock_plugin.hpp"
#include "sarang/crypto.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/door_pin_store.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <deque>
#include <map>

namespace sarang::doorlock {
namespace {

using namespace std::chrono_literals;

const door::Rule rule{};

struct Lock {
    std::string prefix;
    std::optional<long long> owner_id;
    std::string owner_name;
    std::optional<std::string> pin_hash;
};

// The last answers by (lock, attemptId), for redeliveries.
class RecentVerdicts {
  public:
    const std::string* find(const std::string& key) const {
        auto found = verdicts_.find(key);
        return found == verdicts_.end() ? nullptr : &found->second;
    }
    void remember(std::string key, std::string verdict) {
        if (verdicts_.emplace(key, std::move(verdict)).second)
            order_.push_back(std::move(key));
        if (order_.size() > 512) {
            verdicts_.erase(order_.front());
            order_.pop_front();
        }
    }

  private:
    std::map<std::string, std::string> verdicts_;
    std::deque<std::string> order_;
};

void prepare_statements(pg::Connection& db) {
    prepare_rejections(db);
    db.prepare("lock", "SELECT d.kind, d.topic_prefix, d.owner_id, u.username, u.door_pin_hash"
                       " FROM devices d LEFT JOIN users u ON u.id = d.owner_id"
                       " WHERE d.id = $1 AND d.state <> 'revoked'");
}

std::optional<Lock> find_lock(pg::Connection& db, const Attempt& attempt) {
    pg::Result row = db.exec_prepared("lock", {attempt.device_id});
    if (row.rows() != 1 || row.text(0, 0) != "door-lock" ||
        attempt.topic != std::string(row.text(0, 1)) + "/pin/attempt")
        return std::nullopt;
    Lock lock{std::string(row.text(0, 1)), std::nullopt, "", std::nullopt};
    if (!row.is_null(0, 2))
        lock.owner_id = row.integer(0, 2);
    lock.owner_name = std::string(row.text(0, 3));
    if (!row.is_null(0, 4))
        lock.pin_hash = std::string(row.text(0, 4));
    return lock;
}

std::string detail(const Attempt& attempt, const std::string& attempt_id,
                   const std::string& reason = "") {
    json::Ptr object = json::own(json_object());
    json::set(object.get(), "deviceId", json::own(json_string(attempt.device_id.c_str())));
    json::set(object.get(), "method", json::own(json_string("keypad")));
    if (!attempt_id.empty())
        json::set(object.get(), "attemptId", json::own(json_string(attempt_id.c_str())));
    if (!reason.empty())
        json::set(object.get(), "reason", json::own(json_string(reason.c_str())));
    return json::dump(object.get());
}

void audit(pg::Connection& db, const Attempt& attempt, const Lock& lock,
           const std::string& attempt_id, const char* outcome, const std::string& reason = "") {
    door::audit(db, {lock.owner_id, lock.owner_id ? lock.owner_name : attempt.device_id,
                     attempt.address, "door_keypad", outcome, detail(attempt, attempt_id, reason)});
}

// Checks one attempt; fills the verdict and says whether to unlock.
bool check(DoorlockPlugin& plugin, pg::Connection& db, const Attempt& attempt,
           const door::Attempt& parsed, const Lock& lock, door::Verdict& verdict) {
    if (!lock.owner_id || !lock.pin_hash) {
        ++plugin.counters.rejected;
        verdict.error = "no_pin";
        audit(db, attempt, lock, parsed.attempt_id, "denied", "no door PIN set");
        return false;
    }
    door::Keys keys{attempt.device_id, *lock.owner_id};
    door::Admission admission = door::admit(db, keys, rule);
    if (!admission.allowed) {
        ++plugin.counters.locked;
        verdict.error = "locked_out";
        verdict.lockout_until = admission.until;
        verdict.remaining_seconds = admission.remaining;
        audit(db, attempt, lock, parsed.attempt_id, "locked");
        return false;
    }
    bool ok = crypto::argon2id_verify(*lock.pin_hash, parsed.pin);
    door::Settlement settled = door::settle(db, keys, admission.attempt, ok, rule);
    audit(db, attempt, lock, parsed.attempt_id, ok ? "success" : "failure");
    if (ok) {
        ++plugin.counters.accepted;
        verdict.ok = true;
        LOG_INFO("doorlock", "keypad unlock of %s", attempt.device_id.c_str());
        return true;
    }
    ++plugin.counters.denied;
    verdict.error = "invalid_pin";
    verdict.remaining_attempts = settled.remaining_attempts;
    if (settled.locked_until) {
        verdict.error = "locked_out";
        verdict.lockout_until = settled.locked_until;
        verdict.remaining_seconds = settled.remaining_seconds;
        LOG_WARN("doorlock", "%s and its owner locked out for %llds after wrong keypad PINs",
                 attempt.device_id.c_str(), settled.remaining_seconds);
        try {
            door::raise_lockout_alert(db, keys, *settled.locked_until, settled.remaining_seconds,
                                      admission.attempt, "keypad");
        } catch (const pg::Error& error) {
            LOG_ERROR("doorlock", "%s locked out, but the alert was not queued: %s",
                      attempt.device_id.c_str(), error.what());
        }
    }
    return false;
}

void answer(DoorlockPlugin& plugin, const Attempt& attempt, const std::string& prefix,
            const std::string& verdict, bool unlock) {
    std::vector<Outgoing> out{
        {attempt.connection, attempt.serial, attempt.client_id, prefix + "/pin/verdict", verdict}};
    if (unlock)
        out.push_back({attempt.connection, attempt.serial, attempt.client_id, prefix + "/control",
                       door::unlock_json("keypad")});
    plugin.mailbox.post([&plugin, out = std::move(out)] { publish_all(plugin, out); });
}

void handle(DoorlockPlugin& plugin, pg::Connection& db, RecentVerdicts& recent,
            const Attempt& attempt) {
    std::optional<Lock> lock = find_lock(db, attempt);
    if (!lock) {
        ++plugin.counters.rejected;
        plugin.refusals.add(attempt.device_id, "wrong_topic",
                            "not a door lock's attempt topic: " + attempt.topic, {});
        if (plugin.refusal_log.due(attempt.device_id, "wrong_topic"))
            LOG_WARN("doorlock",
                     "ignored an attempt from %s on '%s': not a door lock's attempt topic",
                     attempt.device_id.c_str(), attempt.topic.c_str());
        return;
    }
    std::string problem;
    std::optional<door::Attempt> parsed = door::parse_attempt(attempt.payload, problem);
    door::Verdict verdict;
    if (!parsed) {
        ++plugin.counters.rejected;
        plugin.refusals.add(attempt.device_id, "malformed_attempt", "malformed attempt: " + problem,
                            {});
        if (plugin.refusal_log.due(attempt.device_id, "malformed_attempt"))
            LOG_WARN("doorlock", "malformed attempt from %s: %s", attempt.device_id.c_str(),
                     problem.c_str());
        verdict.error = "malformed";
        return answer(plugin, attempt, lock->prefix, door::verdict_json(verdict), false);
    }
    verdict.attempt_id = parsed->attempt_id;
    std::string key = attempt.device_id + "\n" + parsed->attempt_id;
    if (!parsed->attempt_id.empty()) {
        if (const std::string* seen = recent.find(key)) {
            ++plugin.counters.duplicates;
            return answer(plugin, attempt, lock->prefix, *seen, false);
        }
    }
    bool unlock = check(plugin, db, attempt, *parsed, *lock, verdict);
    std::string text = door::verdict_json(verdict);
    if (!parsed->attempt_id.empty())
        recent.remember(key, text);
    answer(plugin, attempt, lock->prefix, text, unlock);
}

// Without the database no PIN can be checked: the lock hears so, if its prefix is known.
void answer_unavailable(DoorlockPlugin& plugin, const Attempt& attempt) {
    std::string_view topic = attempt.topic;
    std::string prefix(topic.substr(0, topic.size() - std::string_view("/pin/attempt").size()));
    door::Verdict verdict;
    verdict.error = "unavailable";
    std::string problem;
    if (std::optional<door::Attempt> parsed = door::parse_attempt(attempt.payload, problem))
        verdict.attempt_id = parsed->attempt_id;
    answer(plugin, attempt, prefix, door::verdict_json(verdict), false);
}

} // namespace

void run_checker(DoorlockPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "doorlock";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-doorlock";
    options.prepare = prepare_statements;
    DbLoop loop(std::move(options));
    RecentVerdicts recent;
    std::vector<Attempt> batch;
    std::size_t next = 0;
    while (!stop.stop_requested()) {
        if (next == batch.size()) {
            batch = plugin.attempts.pop_batch(16, stop, 500ms);
            next = 0;
        }
        // A lock waits for its verdict: an attempt that cannot be checked (database down, or
        // anything else, which DbLoop counts and logs) is answered "unavailable" at once, never
        // retried later.
        loop.round(stop, [&](pg::Connection& db) {
            loop.each(
                batch, next,
                [&](const Attempt& attempt) {
                    try {
                        if (attempt.alert)
                            notify_lock_alert(plugin, db, attempt);
                        else
                            handle(plugin, db, recent, attempt);
                    } catch (const pg::Error& error) {
                        if (!attempt.alert)
                            answer_unavailable(plugin, attempt);
                        if (!is_outage(error))
                            throw;
                        loop.outage_noticed(error);
                    } catch (...) {
                        if (!attempt.alert)
                            answer_unavailable(plugin, attempt);
                        throw;
                    }
                },
                [](const Attempt& attempt) {
                    return std::string(attempt.alert ? "alert" : "attempt") + " from " +
                           attempt.device_id + " on '" + attempt.topic + "'";
                });
        });
        if (loop.database_up())
            flush_rejections(plugin.refusals, loop, stop);
    }
}

} // namespace sarang::doorlock
