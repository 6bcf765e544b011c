#pragma once
// sarang-httpd's retention worker: every interval, a round of named jobs in order (partition
// maintenance for each partitioned table, docs/operations.md "Partitions and retention"; other
// kinds of retention add jobs of their own). A round runs under a PostgreSQL advisory lock, so of
// several sidecars on one database one runs it, and each statement waits at most lock_timeout
// for a lock: a DROP of a partition must never queue landing behind a long dashboard query.
// A job that times out or fails is logged and runs again next round; the others still run.
#include "sarang/pg.hpp"
#include "sarang/worker.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace sarang::http {

struct RetentionJob {
    std::string name;
    // Runs with its own transactions on the worker's connection, in which lock_timeout is set.
    std::function<void(pg::Connection&)> run;
};

struct RetentionCounters {
    std::atomic<unsigned long long> rounds{0};         // rounds this sidecar ran
    std::atomic<unsigned long long> rounds_skipped{0}; // another sidecar held the lock
    std::atomic<unsigned long long> lock_timeouts{0};  // jobs that waited past lock_timeout
    std::atomic<unsigned long long> job_failures{0};   // jobs that failed otherwise
};

// One round on `db`; false when another session holds the retention lock.
bool run_retention_round(pg::Connection& db, const std::vector<RetentionJob>& jobs,
                         std::chrono::milliseconds lock_timeout, RetentionCounters& counters);

class RetentionWorker {
  public:
    RetentionWorker(std::string dsn, std::chrono::seconds interval,
                    std::chrono::milliseconds lock_timeout, std::vector<RetentionJob> jobs);

    const RetentionCounters& counters() const { return counters_; }

  private:
    RetentionCounters counters_;
    std::vector<RetentionJob> jobs_;
    Worker worker_; // last: its thread uses the members above
};

} // namespace sarang::http
