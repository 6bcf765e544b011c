// The writer worker: batches of readings into PostgreSQL, one transaction per batch.
//
// Ends of a batch: written (rows counted; a batch written twice keeps one copy through the
// primary key); rejected messages (bad payload, unknown device) logged with the device id and
// counted, never written; database unreachable: the batch is kept and retried with backoff while
// new messages wait in the bounded queue; a data error that should not happen after validation:
// logged and the batch dropped, so one bad batch cannot wedge the writer. At shutdown what is
// queued gets a few seconds to land.
#include "sarang/pg.hpp"
#include "telemetry_plugin.hpp"

#include <set>

namespace sarang::telemetry {
namespace {

constexpr auto shutdown_grace = std::chrono::seconds(3);

std::map<std::string, DeviceInfo> lookup_devices(pg::Connection& db,
                                                 const std::vector<RawMessage>& batch) {
    std::set<std::string> ids;
    for (const RawMessage& message : batch)
        ids.insert(message.device_id);
    pg::Result rows = db.exec_prepared("lookup", {pg::array_literal({ids.begin(), ids.end()})});
    std::map<std::string, DeviceInfo> devices;
    for (int row = 0; row < rows.rows(); ++row)
        devices.emplace(std::string(rows.text(row, 0)),
                        DeviceInfo{std::string(rows.text(row, 1)), std::string(rows.text(row, 2))});
    return devices;
}

void write_batch(TelemetryPlugin& plugin, pg::Connection& db,
                 const std::vector<RawMessage>& batch) {
    BatchRows result = rows_for(batch, lookup_devices(db, batch));
    for (const Rejection& rejection : result.rejected)
        LOG_WARN("telemetry", "rejected message from %s on '%s': %s", rejection.device_id.c_str(),
                 rejection.topic.c_str(), rejection.reason.c_str());
    plugin.counters.messages_rejected += result.rejected.size();
    if (result.rows.empty())
        return;

    std::vector<std::string> devices, metrics, times, values;
    for (const ReadingRow& row : result.rows) {
        devices.push_back(row.device_id);
        metrics.push_back(row.metric);
        times.push_back(timestamp_text(row.received_at));
        char value[32];
        std::snprintf(value, sizeof value, "%.17g", row.value);
        values.push_back(value);
    }
    pg::Params params{pg::array_literal(devices), pg::array_literal(metrics),
                      pg::array_literal(times), pg::array_literal(values)};
    pg::Transaction transaction(db);
    long long inserted = transaction.exec_prepared("insert", params).affected();
    transaction.exec_prepared("touch", {params[0], params[2]});
    transaction.commit();
    plugin.counters.rows_written += inserted;
    plugin.counters.rows_duplicate += result.rows.size() - inserted;
}

void prepare_statements(pg::Connection& db) {
    db.prepare("lookup", "SELECT id, kind, topic_prefix FROM devices WHERE id = ANY($1::text[])");
    db.prepare("insert",
               "INSERT INTO readings (device_id, metric, received_at, value)"
               " SELECT u.* FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[])"
               "   AS u(device_id, metric, received_at, value)"
               " WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = u.device_id)" // deleted since
               " ON CONFLICT DO NOTHING");
    db.prepare("touch",
               "UPDATE devices d SET last_seen_at = GREATEST(d.last_seen_at, s.latest)"
               " FROM (SELECT device_id, max(received_at) AS latest"
               "       FROM unnest($1::text[], $2::timestamptz[]) AS t(device_id, received_at)"
               "       GROUP BY device_id) s"
               " WHERE d.id = s.device_id");
}

} // namespace

void run_writer(TelemetryPlugin& plugin, std::stop_token stop) {
    pg::Connection db(plugin.settings.dsn, "sarang-telemetry");
    prepare_statements(db);
    Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(10));
    std::vector<RawMessage> pending;
    std::optional<std::chrono::steady_clock::time_point> give_up_at;
    bool outage_logged = false;
    for (;;) {
        if (stop.stop_requested() && !give_up_at)
            give_up_at = std::chrono::steady_clock::now() + shutdown_grace;
        if (give_up_at && std::chrono::steady_clock::now() > *give_up_at)
            break;
        if (pending.empty())
            pending = plugin.queue.pop_batch(plugin.settings.batch_max, stop,
                                             std::chrono::milliseconds(500));
        if (pending.empty()) {
            if (stop.stop_requested())
                break;
            continue;
        }
        try {
            write_batch(plugin, db, pending);
            pending.clear();
            backoff.reset();
            if (outage_logged)
                LOG_INFO("telemetry", "database reachable again");
            outage_logged = false;
        } catch (const pg::Error& error) {
            if (error.kind() == pg::ErrorKind::reconnect || error.kind() == pg::ErrorKind::retry) {
                if (!outage_logged)
                    LOG_ERROR("telemetry", "writes paused (%zu queued): %s",
                              plugin.queue.depth() + pending.size(), error.what());
                outage_logged = true;
                db.disconnect();
                std::this_thread::sleep_for(
                    std::min<std::chrono::milliseconds>(backoff.next(), std::chrono::seconds(1)));
            } else {
                LOG_ERROR("telemetry", "dropping a batch of %zu messages: %s", pending.size(),
                          error.what());
                plugin.counters.messages_failed += pending.size();
                pending.clear();
            }
        }
    }
    std::size_t lost = pending.size() + plugin.queue.depth();
    if (lost > 0)
        LOG_ERROR("telemetry", "stopped with %zu readings not written", lost);
}

} // namespace sarang::telemetry
