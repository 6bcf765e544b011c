// sarangctl retention run: one round of sarang-httpd's retention worker, now, with the very
// jobs the worker runs (http-sidecar/src/retention/): for each partitioned table its
// part_config.retention set from sarang.conf, partman.run_maintenance() (partitions made ahead,
// those past retention dropped) and the pre-partitioning default partition emptied once past
// retention; then the row deletes of sql/0023 (notifications, commands, package photos). Under
// the same advisory lock and 2 s lock timeout as the worker. docs/operations.md "Retention".
#include "command.hpp"
#include "retention/partition_jobs.hpp"
#include "retention/retention_worker.hpp"
#include "retention/row_jobs.hpp"
#include "sarang/log.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

namespace sarang::ctl {

int retention_run(const Config& config, const Args&) {
    using namespace std::chrono_literals;
    std::map<std::string, long long> handled;
    std::vector<http::RetentionJob> jobs = http::partition_jobs(http::partitioned_tables(config));
    for (http::RetentionJob& job : http::row_retention_jobs(
             retention::RowRetention::from(config),
             [&handled](const std::string&name, long long done) { handled[name] = done; }))
        jobs.push_back(std::move(job));
    // The worker logs a failed job and goes on; here each job's outcome is also printed.
    std::map<std::string, bool> finished;
    for (http::RetentionJob& job : jobs)
        job.run = [&finished, name = job.name, run = std::move(job.run)](pg::Connection& db) {
            run(db);
            finished[name] = true;
        };

    pg::Connection db(config.string("db.dsn"), "sarangctl retention");
    http::RetentionCounters counters;
    // A sidecar's round holds the lock for seconds at most: wait for it rather than fail.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!http::run_retention_round(db, jobs, 2s, counters)) {
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "sarangctl: another process held the retention lock for a "
                                 "minute (a sarang-httpd round); nothing was done\n");
            return 1;
        }
        std::this_thread::sleep_for(500ms);
    }
    int failures = 0;
    for (const http::RetentionJob& job : jobs) {
        if (!finished.contains(job.name)) {
            ++failures;
            std::printf("%s: FAILED (the reason is logged above; the next round retries)\n",
                        job.name.c_str());
        } else if (auto count = handled.find(job.name); count != handled.end()) {
            std::printf("%s: %lld past retention\n", job.name.c_str(), count->second);
            if (count->second > 0)
                LOG_INFO("audit", "sarangctl | retention run | %s: %lld", job.name.c_str(),
                         count->second);
        } else {
            std::printf("%s: done\n", job.name.c_str());
        }
    }
    return failures == 0 ? 0 : 1;
}

} // namespace sarang::ctl
