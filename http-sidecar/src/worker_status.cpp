#include "worker_status.hpp"

#include "metrics.hpp"

#include <cstdio>

namespace sarang::http {
namespace {

std::string labels(const WorkerRow& row) {
    return "{node=\"" + metric_label(row.node) + "\",plugin=\"" + metric_label(row.plugin) +
           "\",worker=\"" + metric_label(row.worker) + "\"} ";
}

json::Ptr named(const WorkerRow& row) {
    json::Ptr item = json::own(json_object());
    json::set(item.get(), "node", json::string(row.node));
    json::set(item.get(), "plugin", json::string(row.plugin));
    json::set(item.get(), "worker", json::string(row.worker));
    return item;
}

} // namespace

std::vector<WorkerRow> read_worker_status(pg::Connection& db) {
    pg::Result rows =
        db.exec("SELECT node, plugin, worker, restarts, poisoned, coalesce(last_error, ''),"
                "   extract(epoch FROM now() - heartbeat_at)::float8,"
                "   extract(epoch FROM now() - last_restart_at)::float8"
                " FROM worker_status WHERE heartbeat_at > now() - make_interval(secs => $1::float8)"
                " ORDER BY node, plugin, worker",
                {std::to_string(forgotten_after_s)});
    std::vector<WorkerRow> out;
    for (int row = 0; row < rows.rows(); ++row) {
        WorkerRow item;
        item.node = rows.text(row, 0);
        item.plugin = rows.text(row, 1);
        item.worker = rows.text(row, 2);
        item.restarts = rows.integer(row, 3);
        item.poisoned = rows.integer(row, 4);
        item.last_error = rows.text(row, 5);
        item.heartbeat_age_s = rows.number(row, 6);
        if (!rows.is_null(row, 7))
            item.restart_age_s = rows.number(row, 7);
        out.push_back(std::move(item));
    }
    return out;
}

std::string render_worker_metrics(const std::vector<WorkerRow>& rows) {
    std::string out;
    auto family = [&](const char* name, const char* type, const char* help, auto value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        for (const WorkerRow& row : rows)
            out += name + labels(row) + value(row) + "\n";
    };
    family("sarang_worker_restarts_total", "counter",
           "Broker plugin workers restarted after an exception ended them, since the broker "
           "started.",
           [](const WorkerRow& row) { return std::to_string(row.restarts); });
    family("sarang_worker_poisoned_items_total", "counter",
           "Items (device messages, answers, requests) a broker plugin worker dropped because "
           "handling them failed other than by a database outage.",
           [](const WorkerRow& row) { return std::to_string(row.poisoned); });
    family("sarang_worker_heartbeat_age_seconds", "gauge",
           "Seconds since a broker plugin worker last wrote its status (every 5 s while alive "
           "and the database is reachable).",
           [](const WorkerRow& row) {
               char text[32];
               std::snprintf(text, sizeof text, "%.3f", row.heartbeat_age_s);
               return std::string(text);
           });
    return out;
}

json::Ptr workers_health(const std::vector<WorkerRow>& rows) {
    json::Ptr restarted = json::own(json_array());
    json::Ptr silent = json::own(json_array());
    for (const WorkerRow& row : rows) {
        if (row.restart_age_s && *row.restart_age_s <= recent_restart_s) {
            json::Ptr item = named(row);
            json::set(item.get(), "restarts", json::own(json_integer(row.restarts)));
            json::set(item.get(), "secondsAgo",
                      json::own(json_integer(static_cast<json_int_t>(*row.restart_age_s))));
            json::set(item.get(), "lastError", json::string(row.last_error));
            json::append(restarted.get(), std::move(item));
        }
        if (row.heartbeat_age_s > stale_heartbeat_s) {
            json::Ptr item = named(row);
            json::set(item.get(), "heartbeatAgeSeconds",
                      json::own(json_integer(static_cast<json_int_t>(row.heartbeat_age_s))));
            json::append(silent.get(), std::move(item));
        }
    }
    bool ok = json_array_size(restarted.get()) == 0 && json_array_size(silent.get()) == 0;
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "status", json::own(json_string(ok ? "ok" : "degraded")));
    json::set(body.get(), "restartedRecently", std::move(restarted));
    json::set(body.get(), "notResponding", std::move(silent));
    return body;
}

} // namespace sarang::http
