#include "session_purger.hpp"

#include "sarang/log.hpp"

namespace sarang::http {

long long purge_sessions(DbPool& pool) {
    DbPool::Lease db = pool.acquire();
    long long sessions =
        db->exec("DELETE FROM sessions WHERE expires_at < now() OR revoked_at IS NOT NULL")
            .affected();
    // A device's label-PIN ceiling (provisioning::device_ceiling_rule) remembers 30 days;
    // every other key forgets within a day.
    db->exec("DELETE FROM auth_throttle WHERE locked_until < now() AND last_failure_at < now() -"
             " CASE WHEN scope = 'device-pin' THEN interval '30 days' ELSE interval '1 day' END");
    return sessions;
}

SessionPurger::SessionPurger(DbPool& pool, std::chrono::seconds interval)
    : worker_("httpd-purge", [&pool, interval](std::stop_token stop) {
          do {
              try {
                  if (long long purged = purge_sessions(pool))
                      LOG_INFO("httpd", "purged %lld expired or ended sessions", purged);
              } catch (const std::exception& error) {
                  LOG_WARN("httpd", "session purge failed, will retry: %s", error.what());
              }
          } while (sleep_unless_stopped(
              stop, std::chrono::duration_cast<std::chrono::milliseconds>(interval)));
      }) {}

} // namespace sarang::http
