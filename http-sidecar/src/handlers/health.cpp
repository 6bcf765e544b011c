// GET /healthz: 200 when the sidecar can reach PostgreSQL, 503 otherwise; for load balancers
// and the start script.
#include "handlers.hpp"

namespace sarang::http {

void add_health_routes(Router& router, DbPool& pool) {
    router.add("GET", "/healthz", Access::anyone("liveness for load balancers"),
               [&pool](const Request&) {
                   json::Ptr body = json::own(json_object());
                   bool database_ok = false;
                   try {
                       DbPool::Lease db = pool.acquire(std::chrono::milliseconds(500));
                       database_ok = db->exec("SELECT 1").rows() == 1;
                   } catch (const std::exception&) {
                       database_ok = false;
                   }
                   json::set(body.get(), "status",
                             json::own(json_string(database_ok ? "ok" : "degraded")));
                   json::set(body.get(), "database",
                             json::own(json_string(database_ok ? "ok" : "unreachable")));
                   return json_response(database_ok ? 200 : 503, body.get());
               });
}

} // namespace sarang::http
