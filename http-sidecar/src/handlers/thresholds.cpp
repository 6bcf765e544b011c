// GET/PUT /api/v1/devices/{id}/thresholds and DELETE /api/v1/devices/{id}/thresholds/{metric}:
// the bands that classify a device's values (seed 003's status calculation, made per device).
//
//   GET, and the answer to PUT and DELETE:
//     {"device_id", "kind", "thresholds": {metric: {"normal": {"low", "high"},
//                                                   "warning": {"low", "high"},
//                                                   "source": "default"|"device"}}}
//   PUT {metric: {"normal": {...}, "warning": {...}}}: sets those metrics, leaves the others.
//   DELETE: the metric goes back to its kind's defaults.
//
// Whoever may see a device (its owner, admins) may change its thresholds.
#include "thresholds.hpp"
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"

namespace sarang::http {
namespace {

std::optional<std::string> number_text(const std::optional<double>& value) {
    if (!value)
        return std::nullopt;
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", *value);
    return std::string(text);
}

Response thresholds_response(pg::Connection& db, const VisibleDevice& device) {
    json::Ptr all = json::own(json_object());
    if (device.kind) {
        pg::Result rows = db.exec("SELECT metric, normal_low, normal_high, warning_low,"
                                  " warning_high FROM metric_thresholds WHERE device_id = $1",
                                  {device.id});
        for (const MetricSpec* spec : kind_metrics(*device.kind)) {
            std::string metric(spec->name);
            EffectiveThresholds effective{spec->defaults, false};
            for (int row = 0; row < rows.rows(); ++row) {
                if (rows.text(row, 0) != metric)
                    continue;
                auto at = [&](int column) {
                    return rows.is_null(row, column) ? std::nullopt
                                                     : std::optional(rows.number(row, column));
                };
                effective = {{{at(1), at(2)}, {at(3), at(4)}}, true};
            }
            json::set(all.get(), metric.c_str(), thresholds_json(effective));
        }
    }
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "device_id", json::own(json_string(device.id.c_str())));
    json::set(body.get(), "kind", json::own(json_string(device.kind_name.c_str())));
    json::set(body.get(), "thresholds", std::move(all));
    return json_response(200, body.get());
}

Response get_thresholds(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    DbPool::Lease db = services.db.acquire();
    return thresholds_response(*db, device);
}

const KindSpec& known_kind(const VisibleDevice& device) {
    if (device.kind == nullptr)
        fail_validation("kind", "'" + device.kind_name + "' has no metrics in this server");
    return *device.kind;
}

Response put_thresholds(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    json::Ptr body = json_object_body(request);
    std::map<std::string, Thresholds> wanted =
        parse_thresholds_body(body.get(), known_kind(device));
    DbPool::Lease db = services.db.acquire();
    {
        pg::Transaction transaction(*db);
        for (const auto& [metric, bands] : wanted)
            transaction.exec(
                "INSERT INTO metric_thresholds (device_id, metric, normal_low, normal_high,"
                " warning_low, warning_high) VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (device_id, metric) DO UPDATE SET normal_low = excluded.normal_low,"
                " normal_high = excluded.normal_high, warning_low = excluded.warning_low,"
                " warning_high = excluded.warning_high, updated_at = now()",
                {device.id, metric, number_text(bands.normal.low), number_text(bands.normal.high),
                 number_text(bands.warning.low), number_text(bands.warning.high)});
        transaction.commit();
    }
    return thresholds_response(*db, device);
}

Response delete_threshold(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    const std::string& metric = *request.param("metric");
    if (known_kind(device).metric(metric) == nullptr)
        fail_validation("metric", "is not a metric of kind " + device.kind_name);
    DbPool::Lease db = services.db.acquire();
    db->exec("DELETE FROM metric_thresholds WHERE device_id = $1 AND metric = $2",
             {device.id, metric});
    return thresholds_response(*db, device);
}

} // namespace

void add_threshold_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/devices/{id}/thresholds", Access::device_owner(),
               bound(services, get_thresholds));
    router.add("PUT", "/api/v1/devices/{id}/thresholds", Access::device_owner(),
               bound(services, put_thresholds));
    router.add("DELETE", "/api/v1/devices/{id}/thresholds/{metric}", Access::device_owner(),
               bound(services, delete_threshold));
}

} // namespace sarang::http
