#include "retention/row_jobs.hpp"

#include "sarang/log.hpp"

namespace sarang::http {

std::vector<RetentionJob> row_retention_jobs(const retention::RowRetention& settings,
                                             RowJobReport report) {
    if (!report)
        report = [](const std::string& name, long long done) {
            if (done > 0)
                LOG_INFO("retention", "%s: %lld rows past retention handled", name.c_str(), done);
        };
    using Job = long long (*)(pg::Connection&, const retention::RowRetention&);
    auto job = [&](const char* name, Job run) {
        return RetentionJob{name, [settings, report, name = std::string(name),
                                   run](pg::Connection& db) { report(name, run(db, settings)); }};
    };
    return {
        job("notifications", retention::expire_notifications),
        job("commands", retention::expire_commands),
        job("package photos", retention::expire_package_photos),
    };
}

} // namespace sarang::http
