#pragma once
// After pg_restore: the running brokers and sidecars cache what they read (the access plugin's
// device snapshot, app sessions, factory secrets, door PINs, ...) and follow it through NOTIFYs
// that row triggers send. pg_restore loads rows before it creates triggers, so nothing is
// notified. Every cache already reloads whole when its connection is new (pg::Connection's
// generation), so ending their sessions is the one signal all of them understand.
#include "sarang/pg.hpp"

#include <string>
#include <vector>

namespace sarang::ctl {

// What the database said before the restore, for refresh_after_restore().
struct BeforeRestore {
    long long barrier = 0;          // access_barrier_seq's last value
    std::vector<std::string> nodes; // broker nodes with a fresh heartbeat
    long long devices = 0;          // rows in devices
    int schema_version = 0;         // highest applied migration (0: none)
};
BeforeRestore read_before_restore(pg::Connection& db);

// Keeps barrier ids increasing (nodes remember the highest they saw), ends every "sarang-*"
// session of the database so each reloads, and waits (bounded) until every node of `before` has
// loaded the restored devices. False, after a message on stderr, when that did not happen.
bool refresh_after_restore(pg::Connection& db, const BeforeRestore& before);

} // namespace sarang::ctl
