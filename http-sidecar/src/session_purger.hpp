#pragma once
// A background thread that deletes sessions past their expiry or revoked, and brute-force
// counters nobody has tripped for a day. The broker's access plugin hears of each deleted session
// through the sessions trigger, though it already ignores expired and revoked ones.
#include "db_pool.hpp"
#include "sarang/worker.hpp"

#include <chrono>

namespace sarang::http {

class SessionPurger {
  public:
    SessionPurger(DbPool& pool, std::chrono::seconds interval);

  private:
    Worker worker_;
};

// One purge; returns the sessions deleted. Exposed for tests and for the first run at start.
long long purge_sessions(DbPool& pool);

} // namespace sarang::http
