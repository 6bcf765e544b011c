#include "auth/brokers_applied.hpp"
#include "http_error.hpp"
#include "sarang/access_sync.hpp"
#include "sarang/log.hpp"

namespace sarang::http {

void await_brokers(pg::Connection& db) {
    access_sync::Outcome outcome = access_sync::await_access_applied(db);
    if (outcome.applied)
        return;
    std::string lagging = access_sync::describe_lagging(outcome);
    LOG_WARN("access", "barrier %lld: broker node(s) %s did not apply it within %lld ms",
             outcome.barrier, lagging.c_str(),
             static_cast<long long>(access_sync::default_timeout.count()));
    Response response = error_response(
        503, "brokers_not_ready",
        "the change is stored, but broker node(s) " + lagging +
            " did not apply it in time; a connection there would be refused. Try again.");
    response.headers.emplace_back("Retry-After", "1");
    throw HttpError(std::move(response));
}

void await_brokers(DbPool& pool) {
    DbPool::Lease db = pool.acquire();
    await_brokers(*db);
}

} // namespace sarang::http
