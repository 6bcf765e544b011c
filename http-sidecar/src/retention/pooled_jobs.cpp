#include "pooled_jobs.hpp"

namespace sarang::http {

long long expire_notifications(DbPool& pool, const retention::RowRetention& settings) {
    DbPool::Lease db = pool.acquire();
    return retention::expire_notifications(*db, settings);
}

long long expire_commands(DbPool& pool, const retention::RowRetention& settings) {
    DbPool::Lease db = pool.acquire();
    return retention::expire_commands(*db, settings);
}

long long expire_package_photos(DbPool& pool, const retention::RowRetention& settings) {
    DbPool::Lease db = pool.acquire();
    return retention::expire_package_photos(*db, settings);
}

} // namespace sarang::http
