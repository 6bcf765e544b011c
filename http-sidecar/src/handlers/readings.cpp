// GET /api/v1/readings/latest/ (and the seed's /api/readings/latest/): the newest value of each
// metric of every device of the caller (admins: every device) that has reported, one row per
// device ordered by id, in a DRF page (?page=, ?page_size=). The seed served this to anyone;
// here it needs a session.
//
//   {"count": 1, "next": null, "previous": null,
//    "results": [{"device_id": "pi-1", "raspberry_pi": "pi-1", "device": "pi-1", "name": "pi-1",
//      "kind": "hydro-sensor", "online": false, "timestamp": "2026-11-23T10:00:00.123456Z",
//      "values": {"ph": 6.8, "tds": 512.3}, "levels": {"ph": "warning", "tds": "normal"},
//      "ph_value": 6.8, "tds_value": 512.3, "status": "warning"}],
//    "readings": [the same rows]}
//
// "<metric>_value", "raspberry_pi" / "device" and "status" are seed 003's SensorReading fields;
// "status" is the worst level of the reading metrics, "levels" the level of each metric from the
// device's thresholds (null: none known). "readings" is Sarang's earlier key: every row, unpaged.
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "pagination.hpp"
#include "seed_shapes.hpp"
#include "thresholds.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

const std::string latest_sql =
    "SELECT d.id, d.name, d.kind, d.online, r.metric, r.value, " + iso8601_micro_sql("r.at") +
    ", " + threshold_columns +
    " FROM devices d JOIN latest_readings r ON r.device_id = d.id"
    " LEFT JOIN metric_thresholds t ON t.device_id = r.device_id AND t.metric = r.metric"
    " WHERE $1::bigint IS NULL OR d.owner_id = $1::bigint ORDER BY d.id, r.metric";

void finish_row(json_t* row) {
    if (row == nullptr)
        return;
    add_seed_values(row, json_object_get(row, "values"));
    json::set(row, "status",
              seed_status(json_object_get(row, "levels"),
                          find_kind(json_string_value(json_object_get(row, "kind")))));
}

Response latest(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    PageRequest page = query_page(request);
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec(
            latest_sql,
            {caller.admin() ? std::nullopt : std::optional(std::to_string(caller.user_id))});
    }();
    json::Ptr readings = json::own(json_array());
    json_t* current = nullptr;
    std::string current_id;
    for (int row = 0; row < rows.rows(); ++row) {
        std::string id(rows.text(row, 0));
        if (current == nullptr || id != current_id) {
            finish_row(current);
            json::Ptr device = json::own(json_object());
            json::set(device.get(), "device_id", json::own(json_string(id.c_str())));
            json::set(device.get(), "raspberry_pi", json::own(json_string(id.c_str())));
            json::set(device.get(), "device", json::own(json_string(id.c_str())));
            json::set(device.get(), "name",
                      json::own(json_string(std::string(rows.text(row, 1)).c_str())));
            json::set(device.get(), "kind",
                      json::own(json_string(std::string(rows.text(row, 2)).c_str())));
            json::set(device.get(), "online", json::own(json_boolean(rows.boolean(row, 3))));
            json::set(device.get(), "values", json::own(json_object()));
            json::set(device.get(), "levels", json::own(json_object()));
            current = device.get();
            current_id = id;
            json::append(readings.get(), std::move(device));
        }
        std::string metric(rows.text(row, 4));
        std::string timestamp(rows.text(row, 6));
        double value = rows.number(row, 5);
        json::set(json_object_get(current, "values"), metric.c_str(), json::own(json_real(value)));
        json::set(
            json_object_get(current, "levels"), metric.c_str(),
            level_json(value, thresholds_at(rows, row, 7, find_kind(rows.text(row, 2)), metric)));
        // The device's timestamp is that of its newest metric.
        json_t* seen = json_object_get(current, "timestamp");
        if (seen == nullptr || timestamp > json_string_value(seen))
            json::set(current, "timestamp", json::own(json_string(timestamp.c_str())));
    }
    finish_row(current);
    // "readings" has always held every device; the page is a slice of the same rows.
    long long count = static_cast<long long>(json_array_size(readings.get()));
    require_page_exists(page, count);
    json::Ptr results = json::own(json_array());
    for (long long i = page.offset(); i < count && i < page.offset() + page.size; ++i)
        json_array_append(results.get(), json_array_get(readings.get(), i));
    json::Ptr body = page_object(request, page, count, std::move(results));
    json::set(body.get(), "readings", std::move(readings));
    return json_response(200, body.get());
}

} // namespace

void add_readings_routes(Router& router, Services& services) {
    for (const char* path : {"/api/v1/readings/latest/", "/api/readings/latest/"})
        router.add("GET", path, Access::user(),
                   [&services](const Request& request) { return latest(services, request); });
}

} // namespace sarang::http
