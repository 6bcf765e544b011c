#include "sarang/access_sync.hpp"

#include <thread>

namespace sarang::access_sync {

Outcome await_access_applied(pg::Connection& db, std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    Outcome outcome;
    // One autocommit statement: the barrier is committed (and delivered) after the caller's
    // change, which every listener therefore sees first.
    pg::Result barrier = db.exec("SELECT id, pg_notify($1, id::text)"
                                 " FROM (SELECT nextval('access_barrier_seq') AS id) AS next",
                                 {barrier_channel});
    outcome.barrier = barrier.integer(0, 0);
    const std::string id = std::to_string(outcome.barrier);
    const std::string stale = std::to_string(node_stale_after.count()) + " seconds";
    const auto started = clock::now();
    const auto deadline = started + timeout;
    // A node needs one broker tick (at most 100 ms in mosquitto 2.0) after the loader read the
    // change: poll often at first, then back off to spare the database.
    std::chrono::milliseconds interval{2};
    for (;;) {
        pg::Result behind = db.exec("SELECT node FROM access_nodes"
                                    " WHERE applied_barrier < $1::bigint"
                                    "   AND heartbeat_at > now() - $2::interval ORDER BY node",
                                    {id, stale});
        if (behind.rows() == 0) {
            outcome.applied = true;
            break;
        }
        if (clock::now() >= deadline) {
            for (int row = 0; row < behind.rows(); ++row)
                outcome.lagging.emplace_back(behind.text(row, 0));
            break;
        }
        std::this_thread::sleep_for(std::min<clock::duration>(interval, deadline - clock::now()));
        interval = std::min(interval * 2, std::chrono::milliseconds(10));
    }
    outcome.waited = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started);
    return outcome;
}

std::string describe_lagging(const Outcome& outcome) {
    std::string out;
    for (const std::string& node : outcome.lagging) {
        if (!out.empty())
            out += ", ";
        out += node;
    }
    return out;
}

} // namespace sarang::access_sync
