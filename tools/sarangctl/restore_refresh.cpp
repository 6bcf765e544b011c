#include "restore_refresh.hpp"
#include "sarang/access_sync.hpp"

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

namespace sarang::ctl {
namespace {

// A node's loader reconnects after a backoff (200 ms growing, db_loop.hpp) and loads everything.
constexpr std::chrono::seconds reload_timeout{20};

bool table_exists(pg::Connection& db, const char* name) {
    return !db.exec("SELECT to_regclass($1)", {std::string(name)}).is_null(0, 0);
}

} // namespace

BeforeRestore read_before_restore(pg::Connection& db) {
    BeforeRestore before;
    if (table_exists(db, "public.devices"))
        before.devices = db.exec("SELECT count(*) FROM devices").integer(0, 0);
    if (table_exists(db, "public.schema_migrations"))
        before.schema_version = static_cast<int>(
            db.exec("SELECT coalesce(max(version), 0) FROM schema_migrations").integer(0, 0));
    if (table_exists(db, "public.access_barrier_seq"))
        before.barrier = db.exec("SELECT last_value FROM access_barrier_seq").integer(0, 0);
    if (table_exists(db, "public.access_nodes")) {
        pg::Result nodes =
            db.exec("SELECT node FROM access_nodes WHERE heartbeat_at > now() - $1"
                    "::interval ORDER BY node",
                    {std::to_string(access_sync::node_stale_after.count()) + " seconds"});
        for (int row = 0; row < nodes.rows(); ++row)
            before.nodes.emplace_back(nodes.text(row, 0));
    }
    return before;
}

bool refresh_after_restore(pg::Connection& db, const BeforeRestore& before) {
    // The restored sequence may be behind what live nodes have seen; a barrier at or below
    // their last one would count as applied before they reloaded.
    db.exec("SELECT setval('access_barrier_seq',"
            " greatest($1::bigint, (SELECT last_value FROM access_barrier_seq)))",
            {std::to_string(std::max(before.barrier, 1LL))});
    try {
        db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND application_name LIKE 'sarang-%'");
    } catch (const pg::Error& error) {
        std::fprintf(stderr,
                     "sarangctl: the data is restored, but the running services' sessions could "
                     "not be ended (%s): restart mosquitto and sarang-httpd so they load it\n",
                     error.what());
        return false;
    }
    if (before.nodes.empty())
        return true;
    // Taken after the sessions ended: a node that has applied it reloaded after the restore.
    long long barrier = db.exec("SELECT id, pg_notify($1, id::text)"
                                " FROM (SELECT nextval('access_barrier_seq') AS id) AS next",
                                {access_sync::barrier_channel})
                            .integer(0, 0);
    const auto deadline = std::chrono::steady_clock::now() + reload_timeout;
    std::set<std::string> waiting(before.nodes.begin(), before.nodes.end());
    for (;;) {
        pg::Result done = db.exec("SELECT node FROM access_nodes WHERE applied_barrier >= $1",
                                  {std::to_string(barrier)});
        for (int row = 0; row < done.rows(); ++row)
            waiting.erase(std::string(done.text(row, 0)));
        if (waiting.empty())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::string names;
    for (const std::string& node : waiting)
        names += (names.empty() ? "" : ", ") + node;
    std::fprintf(stderr,
                 "sarangctl: the data is restored, but broker node(s) %s did not reload it within "
                 "%lld s; restart them\n",
                 names.c_str(), static_cast<long long>(reload_timeout.count()));
    return false;
}

} // namespace sarang::ctl
