#pragma once
// Read-your-writes for credentials handed out over HTTP (docs/identity-and-acl.md, "A credential
// works the moment it is handed out"): a handler that committed a credential (or a change to who
// may read what) calls this before it answers, so a CONNECT made right after the answer is
// admitted on every live broker node.
#include "db_pool.hpp"

namespace sarang::http {

// Waits (at most access_sync::default_timeout) until every live broker node has applied what was
// committed before; outside any transaction. Throws HttpError 503 "brokers_not_ready" (with
// Retry-After) when a live node stays behind. Waits about one broker tick (up to 100 ms): only
// for routes on the slow lane, never on a libmicrohttpd polling thread.
void await_brokers(pg::Connection& db);
void await_brokers(DbPool& pool);

} // namespace sarang::http
