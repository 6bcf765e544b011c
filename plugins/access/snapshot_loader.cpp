// The loader worker keeps the broker's device snapshot equal to the devices table.
//
// It LISTENs on sarang_devices (a trigger in sql/0001_init.sql notifies the id of every device
// whose access-relevant columns change), then loads everything. After that each notification
// reloads just the named rows. Whenever the connection is new (first start or after an outage,
// when notifications may have been missed) it loads everything again. Results travel to the
// broker thread through the mailbox; nothing here touches broker state.
//
// It also answers issuers' barriers (core/include/sarang/access_sync.hpp): after the changes
// notified before a barrier are in the mailbox it posts a mark behind them, waits until the
// broker thread has run it, and records the barrier with a heartbeat in access_nodes.
#include "access_plugin.hpp"
#include "sarang/access_sync.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

namespace sarang::access {
namespace {

constexpr const char* devices_channel = "sarang_devices";
constexpr const char* sessions_channel = "sarang_sessions";
constexpr const char* select_columns =
    "SELECT id, kind, topic_prefix, state, encode(credential_hash, 'hex'),"
    " encode(previous_credential_hash, 'hex'),"
    " (extract(epoch FROM previous_credential_expires_at) * 1000000)::bigint, owner_id"
    " FROM devices";
// Active device certificates (sql/0020_device_certificates.sql), attached to their devices.
constexpr const char* select_certificates = "SELECT device_id, encode(fingerprint, 'hex'),"
                                            " (extract(epoch FROM not_after) * 1000000)::bigint"
                                            " FROM device_certificates WHERE revoked_at IS NULL";
constexpr const char* select_app_sessions = "SELECT u.id, u.username, encode(s.token_hash, 'hex'),"
                                            " (extract(epoch FROM s.expires_at) * 1000000)::bigint,"
                                            " u.role = 'admin'"
                                            " FROM users u JOIN sessions s ON s.user_id = u.id"
                                            " WHERE s.revoked_at IS NULL AND s.expires_at > now()"
                                            " AND s.scope = 'full'";
// A live node refreshes its access_nodes row at least this often (issuers treat a row older than
// access_sync::node_stale_after as a node that is down).
constexpr std::chrono::milliseconds heartbeat_interval{1000};
// How long the loader waits for the broker thread to run a mark before it records what it has.
constexpr std::chrono::milliseconds mark_wait{1000};
// Past this many changed ids in one wake-up a full reload is cheaper than a list.
constexpr std::size_t full_reload_threshold = 1000;

std::optional<crypto::Digest> digest_from(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return std::nullopt;
    std::optional<std::string> raw = crypto::hex_decode(rows.text(row, column));
    if (!raw || raw->size() != crypto::Digest{}.size())
        return std::nullopt;
    crypto::Digest digest{};
    std::copy(raw->begin(), raw->end(), digest.begin());
    return digest;
}

std::vector<DeviceRecord> records_from(const pg::Result& rows) {
    std::vector<DeviceRecord> records;
    records.reserve(rows.rows());
    for (int row = 0; row < rows.rows(); ++row) {
        DeviceRecord record;
        record.id = rows.text(row, 0);
        record.kind_name = rows.text(row, 1);
        record.kind = find_kind(record.kind_name);
        record.topic_prefix = rows.text(row, 2);
        record.state = rows.text(row, 3);
        record.credential_hash = digest_from(rows, row, 4);
        record.previous_hash = digest_from(rows, row, 5);
        if (!rows.is_null(row, 6))
            record.previous_expires_at =
                WallClock::time_point(std::chrono::microseconds(rows.integer(row, 6)));
        if (!rows.is_null(row, 7))
            record.owner_id = rows.integer(row, 7);
        records.push_back(std::move(record));
    }
    return records;
}

// Reads the active certificates of `records` (all of them, or those of `ids`) into them.
void attach_certificates(pg::Connection& db, std::vector<DeviceRecord>& records,
                         const std::set<std::string>* ids) {
    pg::Result rows =
        ids == nullptr
            ? db.exec(select_certificates)
            : db.exec(std::string(select_certificates) + " AND device_id = ANY($1::text[])",
                      {pg::array_literal({ids->begin(), ids->end()})});
    std::unordered_map<std::string, std::vector<CertificateRecord>> by_device;
    for (int row = 0; row < rows.rows(); ++row) {
        std::optional<crypto::Digest> fingerprint = digest_from(rows, row, 1);
        if (!fingerprint)
            continue;
        by_device[std::string(rows.text(row, 0))].push_back(
            {*fingerprint, WallClock::time_point(std::chrono::microseconds(rows.integer(row, 2)))});
    }
    for (DeviceRecord& record : records) {
        auto found = by_device.find(record.id);
        if (found != by_device.end())
            record.certificates = std::move(found->second);
    }
}

// Rows of select_app_sessions, grouped by user.
std::vector<AppUser> app_users_from(const pg::Result& rows) {
    std::map<long long, AppUser> users;
    for (int row = 0; row < rows.rows(); ++row) {
        AppUser& user = users[rows.integer(row, 0)];
        user.id = rows.integer(row, 0);
        user.username = rows.text(row, 1);
        user.admin = rows.boolean(row, 4);
        std::optional<crypto::Digest> hash = digest_from(rows, row, 2);
        if (hash)
            user.sessions.push_back(
                {*hash, WallClock::time_point(std::chrono::microseconds(rows.integer(row, 3)))});
    }
    std::vector<AppUser> out;
    for (auto& [id, user] : users)
        out.push_back(std::move(user));
    return out;
}

void post_app_users(AccessPlugin& plugin, pg::Connection& db,
                    const std::optional<std::set<long long>>& only) {
    std::vector<AppUser> users;
    if (only) {
        std::vector<std::string> ids;
        for (long long id : *only)
            ids.push_back(std::to_string(id));
        users = app_users_from(
            db.exec(std::string(select_app_sessions) + " AND u.id = ANY($1::bigint[])",
                    {pg::array_literal(ids)}));
    } else {
        users = app_users_from(db.exec(select_app_sessions));
    }
    plugin.mailbox.post([&plugin, only, users = std::move(users)]() mutable {
        std::vector<long long> changed;
        if (!only) {
            changed = plugin.app_users.replace_all(std::move(users));
        } else {
            std::set<long long> missing = *only;
            for (AppUser& user : users) {
                missing.erase(user.id);
                long long id = user.id;
                for (long long c : plugin.app_users.update(id, std::move(user)))
                    changed.push_back(c);
            }
            for (long long gone : missing) {
                for (long long c : plugin.app_users.update(gone, std::nullopt))
                    changed.push_back(c);
            }
        }
        if (!changed.empty())
            plugin.revalidate_app_connections(changed);
    });
}

void post_full_snapshot(AccessPlugin& plugin, pg::Connection& db) {
    auto started = std::chrono::steady_clock::now();
    std::vector<DeviceRecord> records = records_from(db.exec(select_columns));
    attach_certificates(db, records, nullptr);
    double load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    LOG_INFO("access", "loaded %zu devices from the database in %.1f ms", records.size(), load_ms);
    plugin.mailbox.post([&plugin, records = std::move(records)]() mutable {
        auto swap_started = std::chrono::steady_clock::now();
        std::size_t count = records.size();
        std::vector<std::string> changed = plugin.devices.replace_all(std::move(records));
        plugin.revalidate(changed);
        LOG_INFO("access", "device snapshot of %zu swapped in on the broker thread in %.1f ms",
                 count,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           swap_started)
                     .count());
    });
}

void post_updates(AccessPlugin& plugin, pg::Connection& db, const std::set<std::string>& ids) {
    pg::Result rows = db.exec(std::string(select_columns) + " WHERE id = ANY($1::text[])",
                              {pg::array_literal({ids.begin(), ids.end()})});
    std::vector<DeviceRecord> found = records_from(rows);
    attach_certificates(db, found, &ids);
    plugin.mailbox.post([&plugin, ids, found = std::move(found)]() mutable {
        std::vector<std::string> changed;
        std::set<std::string> missing = ids;
        for (DeviceRecord& record : found) {
            missing.erase(record.id);
            std::string id = record.id;
            for (std::string& device : plugin.devices.update(id, std::move(record)))
                changed.push_back(std::move(device));
        }
        for (const std::string& gone : missing) {
            for (std::string& device : plugin.devices.update(gone, std::nullopt))
                changed.push_back(std::move(device));
        }
        plugin.revalidate(changed);
    });
}

// Every barrier taken before this read belongs to a change committed before it, which a full
// load that starts afterwards sees.
long long barrier_taken(pg::Connection& db) {
    return db.exec("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM access_barrier_seq")
        .integer(0, 0);
}

void record_applied(AccessPlugin& plugin, pg::Connection& db, long long applied) {
    db.exec("INSERT INTO access_nodes AS n (node, applied_barrier, started_at, heartbeat_at)"
            " VALUES ($1, $2::bigint, to_timestamp($3::double precision), now())"
            " ON CONFLICT (node) DO UPDATE SET heartbeat_at = now(),"
            " started_at = EXCLUDED.started_at,"
            " applied_barrier = CASE WHEN n.started_at = EXCLUDED.started_at"
            "   THEN greatest(n.applied_barrier, EXCLUDED.applied_barrier)"
            "   ELSE EXCLUDED.applied_barrier END",
            {plugin.settings.node_name, std::to_string(applied),
             std::to_string(
                 std::chrono::duration<double>(plugin.started_at.time_since_epoch()).count())});
}

// A stopping node must not make issuers wait for its heartbeat to go stale.
void forget_node(AccessPlugin& plugin, pg::Connection& db) {
    try {
        if (db.connected())
            db.exec("DELETE FROM access_nodes WHERE node = $1", {plugin.settings.node_name});
    } catch (const std::exception& error) {
        LOG_WARN("access", "could not remove this node from access_nodes: %s", error.what());
    }
}

} // namespace

void run_snapshot_loader(AccessPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "access";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-access";
    options.prepare = [](pg::Connection& db) {
        // Before the first load, so no change falls between the two.
        db.listen(devices_channel);
        db.listen(sessions_channel);
        db.listen(integrations_channel);
        db.listen(access_sync::barrier_channel);
    };
    options.backoff_max = std::chrono::seconds(10);
    DbLoop loop(std::move(options));
    std::uint64_t loaded_generation = 0;
    long long posted_barrier = 0;    // the newest mark in the mailbox
    long long recorded_barrier = -1; // the newest applied barrier written to access_nodes
    auto next_heartbeat = std::chrono::steady_clock::now();
    // The mark runs on the broker thread after everything posted before it (the mailbox keeps
    // order).
    auto post_mark = [&](long long barrier) {
        if (barrier > posted_barrier) {
            plugin.mailbox.post([&plugin, barrier] { plugin.applied.mark(barrier); });
            posted_barrier = barrier;
        }
    };
    // Records the newest mark the broker thread has run (waiting a little for the posted one):
    // never a barrier whose changes are not applied yet.
    auto record = [&](pg::Connection& db) {
        plugin.applied.wait(posted_barrier, stop, mark_wait);
        long long applied = plugin.applied.value();
        record_applied(plugin, db, applied);
        recorded_barrier = applied;
        next_heartbeat = std::chrono::steady_clock::now() + heartbeat_interval;
    };
    // Any failure pauses the loader for a backoff, never ends it: without it revocations stop
    // reaching the broker. A reconnect loads everything again.
    while (!stop.stop_requested()) {
        loop.round(stop, [&](pg::Connection& db) {
            db.ensure_connected();
            long long barrier = posted_barrier;
            if (db.generation() != loaded_generation) {
                barrier = std::max(barrier, barrier_taken(db));
                post_app_users(plugin, db, std::nullopt); // before devices
                post_integrations(plugin, db);
                post_full_snapshot(plugin, db);
                loaded_generation = db.generation();
                // The load's mark goes right behind the snapshot, before init drains the
                // mailbox, and the node's row is written before init returns (node_registered).
                post_mark(barrier);
                plugin.first_load.signal();
                record(db);
                plugin.node_registered.signal();
            }
            std::set<std::string> changed;
            std::set<long long> users_changed;
            bool overflow = false;
            bool integrations_changed = false;
            for (pg::Notification& note : db.wait_notifications(std::chrono::milliseconds(250))) {
                if (note.channel == integrations_channel) {
                    integrations_changed = true;
                } else if (note.channel == access_sync::barrier_channel) {
                    barrier = std::max(barrier, std::atoll(note.payload.c_str()));
                } else if (note.channel == sessions_channel) {
                    users_changed.insert(std::atoll(note.payload.c_str()));
                } else if (changed.size() >= full_reload_threshold) {
                    overflow = true;
                } else {
                    changed.insert(std::move(note.payload));
                }
            }
            if (!users_changed.empty())
                post_app_users(plugin, db, users_changed);
            if (integrations_changed)
                post_integrations(plugin, db);
            if (overflow)
                post_full_snapshot(plugin, db);
            else if (!changed.empty())
                post_updates(plugin, db, changed);
            // The mark runs after the updates above (the mailbox keeps order), which hold every
            // change notified before the barrier.
            post_mark(barrier);
            if (posted_barrier > recorded_barrier ||
                std::chrono::steady_clock::now() >= next_heartbeat)
                record(db);
        });
    }
    forget_node(plugin, loop.db());
}

} // namespace sarang::access
