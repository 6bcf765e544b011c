// GET /healthz, for load balancers, the start script and operators.
//
// The status code says whether this sidecar can serve: 200 when it reaches PostgreSQL, 503
// otherwise. The broker plugins' workers (worker_status) are reported in the body under
// "workers" but never turn the code to 503: a restarted or silent worker on some broker node
// is no reason to take this sidecar out of a load balancer (docs/reliability.md, "Database
// workers"); monitoring reads "workers.status" or sarang_worker_restarts_total instead.
#include "handlers.hpp"
#include "worker_status.hpp"

namespace sarang::http {

void add_health_routes(Router& router, DbPool& pool) {
    router.add("GET", "/healthz", Access::anyone("liveness for load balancers"),
               [&pool](const Request&) {
                   json::Ptr body = json::own(json_object());
                   bool database_ok = false;
                   json::Ptr workers;
                   try {
                       DbPool::Lease db = pool.acquire(std::chrono::milliseconds(500));
                       database_ok = db->exec("SELECT 1").rows() == 1;
                       workers = workers_health(read_worker_status(*db));
                   } catch (const std::exception&) {
                       // Without the table (an older schema) the database may still be fine.
                   }
                   json::set(body.get(), "status",
                             json::own(json_string(database_ok ? "ok" : "degraded")));
                   json::set(body.get(), "database",
                             json::own(json_string(database_ok ? "ok" : "unreachable")));
                   if (workers)
                       json::set(body.get(), "workers", std::move(workers));
                   return json_response(database_ok ? 200 : 503, body.get());
               });
}

} // namespace sarang::http
