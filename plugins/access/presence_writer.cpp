// The presence writer: online/offline changes from the broker into devices and device_presence.
//
// Ends: written in one transaction per batch; database unreachable: the batch goes back to the
// outbox (newer changes win) and is retried with backoff. On its first successful write after
// start it first marks every device this node had online as offline, because a previous run's
// sessions are gone (a crash fires no DISCONNECTs). At shutdown, after the last batch, it does
// the same for the devices online now: mosquitto fires no DISCONNECT for clients still connected
// when it stops. An offline change is only applied when this node holds the device, so a late
// write from one broker cannot mark offline a device that moved to another.
#include "access_plugin.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"

#include <cstdio>

namespace sarang::access {
namespace {

constexpr auto shutdown_grace = std::chrono::seconds(3);

std::string timestamp_text(WallClock::time_point when) {
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
    char text[32];
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(micros));
    return text;
}

void prepare_statements(pg::Connection& db) {
    // $2: when these devices went offline: this broker's start for a previous run's devices,
    // now at shutdown. Microseconds since the epoch.
    db.prepare("reconcile_history",
               "INSERT INTO device_presence (device_id, node, online, at)"
               " SELECT id, $1, false, to_timestamp($2::bigint / 1000000.0) FROM devices"
               " WHERE online AND online_node = $1");
    db.prepare("reconcile", "UPDATE devices SET online = false, last_disconnected_at = now()"
                            " WHERE online AND online_node = $1");
    // Times travel as microseconds since the epoch: no text formatting of timestamps.
    db.prepare("history", "INSERT INTO device_presence (device_id, node, online, at)"
                          " SELECT x.device_id, $1, x.online, to_timestamp(x.micros / 1000000.0)"
                          " FROM unnest($2::text[], $3::bool[], $4::bigint[]) WITH ORDINALITY"
                          "   AS x(device_id, online, micros, n)"
                          " WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = x.device_id)"
                          " ORDER BY x.n");
    db.prepare("latest",
               "UPDATE devices d SET online = x.online,"
               " online_node = CASE WHEN x.online THEN $1 ELSE d.online_node END,"
               " last_connected_at = CASE WHEN x.online THEN to_timestamp(x.micros / 1000000.0)"
               "   WHEN x.connected > 0 AND (d.last_connected_at IS NULL"
               "        OR to_timestamp(x.connected / 1000000.0) > d.last_connected_at)"
               "     THEN to_timestamp(x.connected / 1000000.0)"
               "   ELSE d.last_connected_at END,"
               " last_disconnected_at = CASE WHEN x.online THEN d.last_disconnected_at"
               "                        ELSE to_timestamp(x.micros / 1000000.0) END,"
               " last_seen_at = GREATEST(d.last_seen_at, to_timestamp(x.micros / 1000000.0))"
               " FROM unnest($2::text[], $3::bool[], $4::bigint[], $5::bigint[])"
               "   AS x(device_id, online, micros, connected)"
               " WHERE d.id = x.device_id AND ("
               "   (x.online AND (d.last_connected_at IS NULL"
               "                  OR to_timestamp(x.micros / 1000000.0) >= d.last_connected_at))"
               // Offline from this node, or from a device no node has recorded online yet (a
               // connect and disconnect within one batch coalesce to just the disconnect).
               "   OR (NOT x.online AND (d.online_node = $1 OR d.online_node IS NULL)))");
}

// With connects: a fifth array, each change's newest connect (0: none), for "latest".
pg::Params params_for(const std::string& node, const std::vector<const PresenceChange*>& changes,
                      bool with_connects = false) {
    std::vector<std::string> ids, online, micros, connected;
    for (const PresenceChange* change : changes) {
        ids.push_back(change->device_id);
        online.push_back(change->online ? "t" : "f");
        micros.push_back(timestamp_text(change->at));
        connected.push_back(change->connected_at ? timestamp_text(*change->connected_at) : "0");
    }
    pg::Params params{node, pg::array_literal(ids), pg::array_literal(online),
                      pg::array_literal(micros)};
    if (with_connects)
        params.push_back(pg::array_literal(connected));
    return params;
}

void write(pg::Connection& db, const std::string& node, const PresenceOutbox::Batch& batch,
           std::optional<WallClock::time_point> reconcile_first, bool reconcile_after) {
    pg::Transaction transaction(db);
    // Presence is derived state that the next connect, disconnect or restart rewrites: losing
    // the last few hundred milliseconds of it in a database crash is fine, waiting for the WAL
    // flush on every batch is not.
    transaction.exec("SET LOCAL synchronous_commit = off");
    if (reconcile_first) {
        transaction.exec_prepared("reconcile_history", {node, timestamp_text(*reconcile_first)});
        transaction.exec_prepared("reconcile", {node});
    }
    std::vector<const PresenceChange*> history, latest;
    for (const PresenceChange& change : batch.history)
        history.push_back(&change);
    for (const auto& [device, change] : batch.latest)
        latest.push_back(&change);
    if (!history.empty())
        transaction.exec_prepared("history", params_for(node, history));
    if (!latest.empty())
        transaction.exec_prepared("latest", params_for(node, latest, true));
    if (reconcile_after) {
        transaction.exec_prepared("reconcile_history", {node, timestamp_text(WallClock::now())});
        transaction.exec_prepared("reconcile", {node});
    }
    transaction.commit();
}

} // namespace

void run_presence_writer(AccessPlugin& plugin, std::stop_token stop) {
    const std::string& node = plugin.settings.node_name;
    DbLoopOptions options;
    options.component = "access";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-presence";
    options.prepare = prepare_statements;
    options.backoff_max = std::chrono::seconds(10);
    options.retry_while_stopping = true;
    DbLoop loop(std::move(options));
    bool reconciled = false;
    std::optional<std::chrono::steady_clock::time_point> give_up_at;
    for (;;) {
        bool stopping = stop.stop_requested();
        if (stopping && !give_up_at)
            give_up_at = std::chrono::steady_clock::now() + shutdown_grace;
        if (give_up_at && std::chrono::steady_clock::now() > *give_up_at) {
            LOG_ERROR("access", "stopped without recording this node's devices offline");
            return;
        }
        // Lingering 200 ms turns a connect storm into a few transactions, not one per device.
        PresenceOutbox::Batch batch = plugin.presence.take(stop, std::chrono::milliseconds(500),
                                                           std::chrono::milliseconds(200));
        if (batch.empty() && reconciled && !stopping) {
            loop.round(stop, [](pg::Connection&) {}); // the heartbeat, when due
            continue;
        }
        DbLoop::RoundEnd end = loop.round(stop, [&](pg::Connection& db) {
            write(db, node, batch, reconciled ? std::nullopt : std::optional(plugin.started_at),
                  stopping);
        });
        if (end == DbLoop::RoundEnd::done) {
            reconciled = true;
            if (stopping)
                return;
        } else if (end == DbLoop::RoundEnd::outage) {
            plugin.presence.give_back(std::move(batch)); // newer changes win
        }
        // dropped: a batch PostgreSQL refuses as data would be refused forever; DbLoop counted
        // and logged it, and the devices' next connect or disconnect writes their presence.
    }
}

} // namespace sarang::access
