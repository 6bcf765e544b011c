#include "retention/retention_worker.hpp"

#include "sarang/log.hpp"

#include <string>
#include <string_view>

namespace sarang::http {
namespace {

constexpr const char* lock_key = "sarang.retention";
constexpr const char* lock_not_available = "55P03"; // lock_timeout expired

// pg_partman's functions catch every error and raise it again as P0001 with the original text:
// a lock timeout inside run_maintenance() is known by PostgreSQL's message (in an English-
// speaking server; elsewhere it counts as a failure, which is retried all the same).
bool lock_timed_out(const pg::Error& error) {
    return error.sqlstate() == lock_not_available ||
           std::string_view(error.what()).find("canceling statement due to lock timeout") !=
               std::string_view::npos;
}

// Session-level advisory lock for the round, released however the round ends.
class RoundLock {
  public:
    explicit RoundLock(pg::Connection& db) : db_(db) {
        held_ = db_.exec("SELECT pg_try_advisory_lock(hashtext($1))", {lock_key}).boolean(0, 0);
    }
    ~RoundLock() {
        if (!held_)
            return;
        try {
            db_.exec("SELECT pg_advisory_unlock(hashtext($1))", {lock_key});
        } catch (const std::exception&) {
            // the connection is gone, and the session lock with it
        }
    }
    RoundLock(const RoundLock&) = delete;
    RoundLock& operator=(const RoundLock&) = delete;
    bool held() const { return held_; }

  private:
    pg::Connection& db_;
    bool held_ = false;
};

} // namespace

bool run_retention_round(pg::Connection& db, const std::vector<RetentionJob>& jobs,
                         std::chrono::milliseconds lock_timeout, RetentionCounters& counters) {
    RoundLock lock(db);
    if (!lock.held()) {
        ++counters.rounds_skipped;
        return false;
    }
    // Session-wide: every statement of every job, in whatever transactions the job opens.
    db.exec("SELECT set_config('lock_timeout', $1, false)",
            {std::to_string(lock_timeout.count()) + "ms"});
    for (const RetentionJob& job : jobs) {
        try {
            job.run(db);
        } catch (const pg::Error& error) {
            if (lock_timed_out(error)) {
                ++counters.lock_timeouts;
                LOG_WARN("retention", "%s waited over %lld ms for a lock; next round retries",
                         job.name.c_str(), static_cast<long long>(lock_timeout.count()));
            } else {
                ++counters.job_failures;
                LOG_WARN("retention", "%s failed, next round retries: %s", job.name.c_str(),
                         error.what());
            }
            if (!db.connected())
                break; // the lock went with the session
        } catch (const std::exception& error) {
            ++counters.job_failures;
            LOG_WARN("retention", "%s failed, next round retries: %s", job.name.c_str(),
                     error.what());
        }
    }
    ++counters.rounds;
    return true;
}

RetentionWorker::RetentionWorker(std::string dsn, std::chrono::seconds interval,
                                 std::chrono::milliseconds lock_timeout,
                                 std::vector<RetentionJob> jobs)
    : jobs_(std::move(jobs)), worker_("httpd-retention", [this, dsn = std::move(dsn), interval,
                                                          lock_timeout](std::stop_token stop) {
          pg::Connection db(dsn, "sarang-httpd retention");
          do {
              try {
                  run_retention_round(db, jobs_, lock_timeout, counters_);
              } catch (const std::exception& error) {
                  ++counters_.job_failures;
                  LOG_WARN("retention", "retention round failed, will retry: %s", error.what());
              }
          } while (sleep_unless_stopped(
              stop, std::chrono::duration_cast<std::chrono::milliseconds>(interval)));
      }) {}

} // namespace sarang::http
