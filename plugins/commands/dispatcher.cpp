// The dispatcher worker: which commands go out from this node, and when.
//
// A command is due on this node when its device is online here (devices.online_node, written
// by the access plugin's presence writer) and it is either queued, or sent to a connection that
// is not the device's current one (devices.last_connected_at changed since): that publish may
// have reached a session that is gone, so it goes again (at-least-once; the device
// deduplicates by the payload's "id"). Claiming records the command sent in PostgreSQL first,
// then hands the publish to the broker thread: a crash in between leaves it sent to a
// connection that ends with the crash, so the device's next connection gets it again.
//
// Wake-ups: NOTIFY sarang_commands (a command was queued), NOTIFY sarang_device_activity
// (presence and new data; the claim for a device with nothing due costs one index probe), every
// new database connection (notifications may have been missed), and a sweep every 30 s as a
// safety net. Deadlines are swept every second, by every node (SKIP LOCKED: no waiting).
#include "commands_plugin.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"

#include <algorithm>
#include <set>

namespace sarang::commands {
namespace {

constexpr const char* commands_channel = "sarang_commands";
constexpr const char* activity_channel = "sarang_device_activity";
constexpr std::size_t claim_all_threshold = 1000; // more ids than this: claim for everyone
constexpr auto expiry_interval = std::chrono::seconds(1);
constexpr auto sweep_interval = std::chrono::seconds(30);

void prepare_statements(pg::Connection& db) {
    // $1 node, $2 device ids (NULL: every device online here). The lock keeps two nodes (during
    // a session move) or a concurrent answer from racing on one row; rows come back unordered,
    // so the caller sorts by seq.
    db.prepare("claim",
               "WITH due AS ("
               "  SELECT c.id FROM commands c JOIN devices d ON d.id = c.device_id"
               "  WHERE ($2::text[] IS NULL OR c.device_id = ANY($2::text[]))"
               "    AND c.state IN ('queued', 'sent') AND d.online AND d.online_node = $1"
               "    AND c.expires_at > now()"
               "    AND (c.state = 'queued'"
               "         OR c.sent_connection IS DISTINCT FROM d.last_connected_at)"
               "  ORDER BY c.device_id, c.seq"
               "  FOR UPDATE OF c)"
               " UPDATE commands c SET state = 'sent', sent_at = now(), sent_node = $1,"
               "   sent_connection = d.last_connected_at, attempts = c.attempts + 1"
               " FROM due, devices d"
               " WHERE c.id = due.id AND d.id = c.device_id AND c.state IN ('queued', 'sent')"
               " RETURNING c.id, c.device_id, d.topic_prefix || '/' || c.subtopic,"
               "   c.payload::text, c.seq, c.attempts");
    db.prepare("expire",
               "WITH due AS ("
               "  SELECT id FROM commands WHERE state IN ('queued', 'sent') AND expires_at <= now()"
               "  ORDER BY seq LIMIT 1000 FOR UPDATE SKIP LOCKED)"
               " UPDATE commands c SET state = 'expired', finished_at = now(),"
               "   error = CASE c.state WHEN 'queued'"
               "     THEN 'deadline passed before the device could be reached'"
               "     ELSE 'deadline passed without an answer from the device' END"
               " FROM due WHERE c.id = due.id");
}

void claim(CommandsPlugin& plugin, pg::Connection& db,
           const std::optional<std::set<std::string>>& devices) {
    std::optional<std::string> ids;
    if (devices)
        ids = pg::array_literal({devices->begin(), devices->end()});
    pg::Result rows = db.exec_prepared("claim", {plugin.settings.node_name, ids});
    if (rows.rows() == 0)
        return;
    struct Row {
        long long seq;
        Delivery delivery;
    };
    std::vector<Row> claimed;
    claimed.reserve(rows.rows());
    for (int row = 0; row < rows.rows(); ++row) {
        claimed.push_back({rows.integer(row, 4),
                           {std::string(rows.text(row, 0)), std::string(rows.text(row, 1)),
                            std::string(rows.text(row, 2)), std::string(rows.text(row, 3))}});
        if (rows.integer(row, 5) > 1)
            LOG_INFO("commands", "sending command %s to %s again (attempt %lld)",
                     std::string(rows.text(row, 0)).c_str(), std::string(rows.text(row, 1)).c_str(),
                     rows.integer(row, 5));
    }
    // seq is global, so sorting by it keeps each device's commands in queue order.
    std::sort(claimed.begin(), claimed.end(),
              [](const Row& a, const Row& b) { return a.seq < b.seq; });
    std::vector<Delivery> deliveries;
    deliveries.reserve(claimed.size());
    for (Row& row : claimed)
        deliveries.push_back(std::move(row.delivery));
    plugin.mailbox.post(
        [&plugin, deliveries = std::move(deliveries)] { publish_deliveries(plugin, deliveries); });
}

// Device ids named by the notifications; nullopt when there are too many to list.
std::optional<std::set<std::string>> devices_named(std::vector<pg::Notification>& notes) {
    std::set<std::string> ids;
    for (const pg::Notification& note : notes) {
        std::size_t start = 0;
        while (start <= note.payload.size()) {
            std::size_t comma = note.payload.find(',', start);
            std::size_t end = comma == std::string::npos ? note.payload.size() : comma;
            if (end > start)
                ids.insert(note.payload.substr(start, end - start));
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
        if (ids.size() > claim_all_threshold)
            return std::nullopt;
    }
    return ids;
}

} // namespace

void run_dispatcher(CommandsPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "commands";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-commands";
    options.prepare = [](pg::Connection& db) {
        prepare_statements(db);
        // Before the first claim, so no command falls between the two.
        db.listen(commands_channel);
        db.listen(activity_channel);
    };
    options.backoff_max = std::chrono::seconds(10);
    DbLoop loop(std::move(options));
    std::uint64_t swept_generation = 0;
    auto next_expiry = std::chrono::steady_clock::now();
    auto next_sweep = next_expiry + sweep_interval;
    // Any failure pauses dispatching for a backoff, never ends it: without the dispatcher no
    // command leaves this node. A reconnect claims everything due again.
    while (!stop.stop_requested()) {
        loop.round(stop, [&](pg::Connection& db) {
            db.ensure_connected();
            if (db.generation() != swept_generation) {
                claim(plugin, db, std::nullopt);
                swept_generation = db.generation();
            }
            std::vector<pg::Notification> notes =
                db.wait_notifications(std::chrono::milliseconds(250));
            auto now = std::chrono::steady_clock::now();
            if (!notes.empty()) {
                std::optional<std::set<std::string>> devices = devices_named(notes);
                if (!devices || !devices->empty())
                    claim(plugin, db, devices);
            }
            if (now >= next_sweep) {
                claim(plugin, db, std::nullopt);
                next_sweep = now + sweep_interval;
            }
            if (now >= next_expiry) {
                long long expired = db.exec_prepared("expire", {}).affected();
                if (expired > 0) {
                    plugin.counters.expired += static_cast<std::uint64_t>(expired);
                    LOG_INFO("commands", "%lld command(s) expired", expired);
                }
                next_expiry = now + expiry_interval;
            }
        });
    }
}

} // namespace sarang::commands
