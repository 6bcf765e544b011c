// GET /api/v1/devices/ and GET /api/v1/devices/{id}: the caller's devices (admins see all) with
// presence, the device's own reported status and its newest value of each metric, judged
// against its thresholds. The list is filtered, ordered and paginated like seed 003's DRF
// viewset. One device also carries "rejections": the data Sarang refused from it (count, last
// reason, detail and sample; device_rejections.hpp). GET /api/v1/device/me: the device-facing check
// of a device's own credential.
//
// A hydro sensor's row is also seed 003's RaspberryPi: "status" ("online" / "offline", the
// values the ?status= filter takes), "last_online" (= lastSeenAt), "location" (its home's name)
// and "last_reading" (its newest reading message as a SensorReading, or null).
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "device_rejections.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "pagination.hpp"
#include "seed_shapes.hpp"
#include "thresholds.hpp"
#include "time_text.hpp"

#include <limits>
#include <map>
#include <vector>

namespace sarang::http {
namespace {

const std::string select_devices =
    "SELECT d.id, d.name, d.kind, d.topic_prefix, d.state, d.online, " +
    iso8601_sql("d.last_seen_at") + ", u.username, h.id, h.name, s.online, s.payload::text, " +
    iso8601_sql("s.at") +
    " FROM devices d LEFT JOIN users u ON u.id = d.owner_id"
    " LEFT JOIN homes h ON h.id = d.home_id"
    " LEFT JOIN device_reported_status s ON s.device_id = d.id";

// $1 owner, $2 kind, $3 online, $4 home, $5 search, $6 id; NULL: no filter.
const std::string device_filter =
    " WHERE ($1::bigint IS NULL OR d.owner_id = $1::bigint)"
    " AND ($2::text IS NULL OR d.kind = $2::text)"
    " AND ($3::boolean IS NULL OR d.online = $3::boolean)"
    " AND ($4::bigint IS NULL OR d.home_id = $4::bigint)"
    " AND ($5::text IS NULL OR strpos(lower(d.name), lower($5::text)) > 0"
    "      OR strpos(lower(d.id), lower($5::text)) > 0)"
    " AND ($6::text IS NULL OR d.id = $6::text)";

const std::string select_latest =
    "SELECT r.device_id, d.kind, r.metric, r.value, " + iso8601_micro_sql("r.at") + ", " +
    threshold_columns +
    " FROM latest_readings r JOIN devices d ON d.id = r.device_id"
    " LEFT JOIN metric_thresholds t ON t.device_id = r.device_id AND t.metric = r.metric"
    " WHERE r.device_id = ANY($1::text[]) ORDER BY r.device_id, r.metric";

// ?ordering= -> ORDER BY. A device never seen counts as seen longest ago. The id breaks ties
// so that pages never overlap.
const std::map<std::string, std::string, std::less<>> orderings = {
    {"id", "d.id"},
    {"-id", "d.id DESC"},
    {"name", "d.name, d.id"},
    {"-name", "d.name DESC, d.id DESC"},
    {"last_seen", "d.last_seen_at ASC NULLS FIRST, d.id"},
    {"-last_seen", "d.last_seen_at DESC NULLS LAST, d.id"},
};

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    return rows.is_null(row, column)
               ? json::own(json_null())
               : json::own(json_string(std::string(rows.text(row, column)).c_str()));
}

json::Ptr home_object(const pg::Result& rows, int row) {
    if (rows.is_null(row, 8))
        return json::own(json_null());
    json::Ptr home = json::own(json_object());
    json::set(home.get(), "id", json::own(json_integer(rows.integer(row, 8))));
    json::set(home.get(), "name", text_or_null(rows, row, 9));
    return home;
}

json::Ptr reported_status(const pg::Result& rows, int row) {
    if (rows.is_null(row, 11))
        return json::own(json_null());
    json::Ptr status = json::own(json_object());
    json::set(status.get(), "online",
              json::own(rows.is_null(row, 10) ? json_null() : json_boolean(rows.boolean(row, 10))));
    std::string error;
    json::Ptr payload = json::parse(rows.text(row, 11), error); // jsonb: always valid JSON
    json::set(status.get(), "payload", payload ? std::move(payload) : json::own(json_null()));
    json::set(status.get(), "at", text_or_null(rows, row, 12));
    return status;
}

json::Ptr device_object(const pg::Result& rows, int row) {
    json::Ptr device = json::own(json_object());
    json::set(device.get(), "id", text_or_null(rows, row, 0));
    json::set(device.get(), "name", text_or_null(rows, row, 1));
    json::set(device.get(), "kind", text_or_null(rows, row, 2));
    json::set(device.get(), "topicPrefix", text_or_null(rows, row, 3));
    json::set(device.get(), "state", text_or_null(rows, row, 4));
    json::set(device.get(), "owner", text_or_null(rows, row, 7));
    json::set(device.get(), "home", home_object(rows, row));
    json::set(device.get(), "online", json::own(json_boolean(rows.boolean(row, 5))));
    json::set(device.get(), "lastSeenAt", text_or_null(rows, row, 6));
    json::set(device.get(), "reportedStatus", reported_status(rows, row));
    json::set(device.get(), "latest", json::own(json_object()));
    if (rows.text(row, 2) == seed_reading_kind) {
        json::set(device.get(), "status",
                  json::own(json_string(rows.boolean(row, 5) ? "online" : "offline")));
        json::set(device.get(), "last_online", text_or_null(rows, row, 6));
        json::set(device.get(), "location", text_or_null(rows, row, 9));
        json::set(device.get(), "last_reading", json::own(json_null()));
    }
    return device;
}

// Seed 003's last_reading from a device's "latest": the metrics of its newest reading message
// (the reading metrics stored under the newest time). Null until it has sent one.
void add_last_reading(json_t* device) {
    const KindSpec* kind = find_kind(json_string_value(json_object_get(device, "kind")));
    const json_t* latest = json_object_get(device, "latest");
    std::vector<std::string> metrics = reading_metric_names(kind);
    std::string newest;
    for (const std::string& metric : metrics) {
        const char* at =
            json_string_value(json_object_get(json_object_get(latest, metric.c_str()), "at"));
        if (at != nullptr && newest < at)
            newest = at;
    }
    if (newest.empty())
        return;
    json::Ptr values = json::own(json_object());
    json::Ptr levels = json::own(json_object());
    for (const std::string& metric : metrics) {
        json_t* entry = json_object_get(latest, metric.c_str());
        const char* at = json_string_value(json_object_get(entry, "at"));
        if (at == nullptr || newest != at)
            continue;
        json_object_set(values.get(), metric.c_str(), json_object_get(entry, "value"));
        json_object_set(levels.get(), metric.c_str(), json_object_get(entry, "level"));
    }
    json::Ptr reading = json::own(json_object());
    json_object_set(reading.get(), "raspberry_pi", json_object_get(device, "id"));
    json_object_set(reading.get(), "device", json_object_get(device, "id"));
    json::set(reading.get(), "timestamp", json::own(json_string(newest.c_str())));
    json::set(reading.get(), "at", json::own(json_string(newest.c_str())));
    add_seed_values(reading.get(), values.get());
    json::set(reading.get(), "status", seed_status(levels.get(), kind));
    json::set(reading.get(), "values", std::move(values));
    json::set(reading.get(), "levels", std::move(levels));
    json::set(device, "last_reading", std::move(reading));
}

// Fills each device's "latest" from one query for the whole page.
void add_latest(pg::Connection& db, const std::map<std::string, json_t*>& devices) {
    std::vector<std::string> ids;
    for (const auto& entry : devices)
        ids.push_back(entry.first);
    pg::Result rows = db.exec(select_latest, {pg::array_literal(ids)});
    for (int row = 0; row < rows.rows(); ++row) {
        std::string metric(rows.text(row, 2));
        double value = rows.number(row, 3);
        json::Ptr latest = json::own(json_object());
        json::set(latest.get(), "value", json::own(json_real(value)));
        json::set(latest.get(), "at", text_or_null(rows, row, 4));
        json::set(
            latest.get(), "level",
            level_json(value, thresholds_at(rows, row, 5, find_kind(rows.text(row, 1)), metric)));
        json_t* device = devices.at(std::string(rows.text(row, 0)));
        json::set(json_object_get(device, "latest"), metric.c_str(), std::move(latest));
    }
    for (const auto& [id, device] : devices) {
        if (json_object_get(device, "last_reading") != nullptr)
            add_last_reading(device);
    }
}

pg::Params filters(const Request& request, const UserCaller& caller) {
    std::optional<std::string> kind = query_text(request, "kind");
    if (kind && find_kind(*kind) == nullptr)
        fail_validation("kind", "is not a device kind");
    std::optional<std::string> status = query_choice(request, "status", {"online", "offline"});
    std::optional<long long> home =
        query_integer(request, "home", 1, std::numeric_limits<long long>::max());
    return {owner_filter(caller),
            kind,
            status ? std::optional<std::string>(*status == "online" ? "true" : "false")
                   : std::nullopt,
            home ? std::optional(std::to_string(*home)) : std::nullopt,
            query_text(request, "search"),
            std::nullopt};
}

Response list_devices(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    pg::Params params = filters(request, caller);
    std::string ordering =
        query_choice(request, "ordering", {"id", "-id", "name", "-name", "last_seen", "-last_seen"})
            .value_or("id");
    PageRequest page = query_page(request);

    DbPool::Lease db = services.db.acquire();
    long long count =
        db->exec("SELECT count(*) FROM devices d" + device_filter, params).integer(0, 0);
    require_page_exists(page, count);
    pg::Params paged = params;
    paged.push_back(std::to_string(page.size));
    paged.push_back(std::to_string(page.offset()));
    pg::Result rows = db->exec(select_devices + device_filter + " ORDER BY " +
                                   orderings.find(ordering)->second + " LIMIT $7 OFFSET $8",
                               paged);
    json::Ptr results = json::own(json_array());
    std::map<std::string, json_t*> by_id;
    for (int row = 0; row < rows.rows(); ++row) {
        json::Ptr device = device_object(rows, row);
        by_id.emplace(std::string(rows.text(row, 0)), device.get());
        json::append(results.get(), std::move(device));
    }
    if (!by_id.empty())
        add_latest(*db, by_id);
    return json_response(200, page_object(request, page, count, std::move(results)).get());
}

Response one_device(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    pg::Params params = {owner_filter(caller), std::nullopt, std::nullopt,
                         std::nullopt,         std::nullopt, *request.param("id")};
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec(select_devices + device_filter, params);
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    json::Ptr device = device_object(rows, 0);
    add_latest(*db, {{*request.param("id"), device.get()}});
    json::set(device.get(), "rejections", rejections_object(*db, *request.param("id")));
    return json_response(200, device.get());
}

Response device_me(Services&, const Request& request) {
    const DeviceCaller& device = request.device();
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "id", json::own(json_string(device.id.c_str())));
    json::set(reply.get(), "name", json::own(json_string(device.name.c_str())));
    json::set(reply.get(), "kind", json::own(json_string(device.kind.c_str())));
    json::set(reply.get(), "topicPrefix", json::own(json_string(device.topic_prefix.c_str())));
    json::set(reply.get(), "state", json::own(json_string(device.state.c_str())));
    json::set(reply.get(), "serverTime",
              json::own(json_string(iso8601(std::chrono::system_clock::now()).c_str())));
    return json_response(200, reply.get());
}

} // namespace

void add_device_routes(Router& router, Services& services) {
    for (const char* path : {"/api/v1/devices/", "/api/devices/"})
        router.add("GET", path, Access::user(), bound(services, list_devices));
    router.add("GET", "/api/v1/devices/{id}/", Access::user(), bound(services, one_device));
    router.add("GET", "/api/v1/device/me", Access::device(), bound(services, device_me));
}

} // namespace sarang::http
