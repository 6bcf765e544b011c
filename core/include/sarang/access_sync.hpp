#pragma once
// Read-your-writes for credentials (docs/identity-and-acl.md, "A credential works the moment it
// is handed out"). Broker nodes admit from an in-memory snapshot that follows PostgreSQL a few
// tens of milliseconds behind; an issuer that has committed a credential calls
// await_access_applied() before it answers, so a CONNECT made right after the answer finds the
// credential on every live node.
//
// Protocol (sql/0016_access_applied.sql): the issuer takes the next id of access_barrier_seq and
// NOTIFYs it on sarang_access_barrier. Notifications reach each listener in commit order, so a
// node's access loader sees the barrier after the credential's own change notification; once the
// broker thread has applied everything before it, the loader records the id in
// access_nodes.applied_barrier. The issuer waits (bounded) until every node with a fresh
// heartbeat has applied an id >= its own. Stale nodes (down) never block.
#include "sarang/pg.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace sarang::access_sync {

inline constexpr const char* barrier_channel = "sarang_access_barrier";
// A node's loader refreshes its heartbeat about once a second; past this it counts as down.
inline constexpr std::chrono::seconds node_stale_after{3};
inline constexpr std::chrono::milliseconds default_timeout{2000};

struct Outcome {
    bool applied = false;               // every live node has the change
    long long barrier = 0;              // the id this issuer waited for
    std::chrono::microseconds waited{}; // from the NOTIFY to the answer
    std::vector<std::string> lagging;   // live nodes still behind at the timeout
};

// Call outside any transaction, after the credential's transaction committed: the barrier must
// be committed after the change. Polls access_nodes with a short, growing interval. Throws
// pg::Error when the database fails.
Outcome await_access_applied(pg::Connection& db,
                             std::chrono::milliseconds timeout = default_timeout);

// "node-a, node-b": for error messages.
std::string describe_lagging(const Outcome& outcome);

} // namespace sarang::access_sync
