#pragma once
// The plugins' database workers as the sidecar reports them (docs/reliability.md, "Database
// workers"): each broker's worker loops upsert their row in worker_status (restarts, poisoned
// items, last error, heartbeat); /metrics renders every row as labelled series and /healthz
// names the workers that restarted recently or stopped sending heartbeats.
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sarang::http {

struct WorkerRow {
    std::string node;
    std::string plugin;
    std::string worker;
    long long restarts = 0;
    long long poisoned = 0;
    std::string last_error;
    double heartbeat_age_s = 0;
    std::optional<double> restart_age_s; // since the last restart; nullopt: never restarted
};

// A worker that restarted within this window is named by /healthz.
constexpr double recent_restart_s = 15 * 60;
// A worker without a heartbeat for this long is named as not responding (heartbeats come
// every 5 s)...
constexpr double stale_heartbeat_s = 30;
// ...until this long, after which its row is taken for a broker that was stopped for good.
constexpr double forgotten_after_s = 24 * 3600;

std::vector<WorkerRow> read_worker_status(pg::Connection& db);

// sarang_worker_restarts_total, sarang_worker_poisoned_items_total and
// sarang_worker_heartbeat_age_seconds, labelled node, plugin and worker.
std::string render_worker_metrics(const std::vector<WorkerRow>& rows);

// {"status":"ok"|"degraded","restartedRecently":[...],"notResponding":[...]}
json::Ptr workers_health(const std::vector<WorkerRow>& rows);

} // namespace sarang::http
