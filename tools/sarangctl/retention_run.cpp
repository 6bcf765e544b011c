// sarangctl retention run: one round of what sarang-httpd's retention worker does every
// retention.interval_seconds, now: pg_partman's maintenance (new partitions made ahead, whole
// partitions past their retention dropped) for every parent registered in partman.part_config,
// then the row deletes of sql/0023 (notifications, commands, package photos). For an operator
// who wants space back now, and for tests. docs/operations.md "Retention".
#include "command.hpp"
#include "retention/row_retention.hpp"
#include "retention_tables.hpp"
#include "sarang/log.hpp"

#include <cstdio>

namespace sarang::ctl {

int retention_run(const Config& config, const Args&) {
    retention::RowRetention settings = retention::RowRetention::from(config);
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    int failures = 0;
    // A DROP must never queue the landing of readings behind a long query: it gives up after
    // the lock timeout, and the parent is maintained on the next run instead.
    db.exec("SET lock_timeout = '2s'");
    for (const ManagedParent& parent : managed_parents(db)) {
        try {
            db.exec("SELECT partman.run_maintenance($1, p_analyze := false, p_jobmon := false)",
                    {parent.parent});
            std::printf("%s: maintenance done\n", parent.parent.c_str());
        } catch (const pg::Error& error) {
            ++failures;
            std::fprintf(stderr, "sarangctl: %s: maintenance failed: %s\n", parent.parent.c_str(),
                         error.what());
        }
    }
    db.exec("RESET lock_timeout");
    struct Job {
        const char* what;
        long long (*run)(pg::Connection&, const retention::RowRetention&);
    };
    const Job jobs[] = {
        {"notifications deleted (with their deliveries)", retention::expire_notifications},
        {"commands deleted", retention::expire_commands},
        {"package photos removed", retention::expire_package_photos},
    };
    for (const Job& job : jobs) {
        try {
            long long done = job.run(db, settings);
            std::printf("%s: %lld\n", job.what, done);
            if (done > 0)
                LOG_INFO("audit", "sarangctl | retention run | %s: %lld", job.what, done);
        } catch (const pg::Error& error) {
            ++failures;
            std::fprintf(stderr, "sarangctl: %s: failed: %s\n", job.what, error.what());
        }
    }
    return failures == 0 ? 0 : 1;
}

} // namespace sarang::ctl
