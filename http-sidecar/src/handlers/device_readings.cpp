// GET /api/v1/devices/{id}/readings/ (seed 003's per-device readings): one device's history.
//
//   bucket=raw (default): the readings themselves, newest first, paginated DRF-style:
//     {"device_id", "bucket": "raw", "metric", "from", "to", "thresholds": {metric: {...}},
//      "count", "next", "previous", "results": [{"metric", "value", "at", "level"}]}
//   bucket=minute|hour: a chart series from reading_rollups, oldest first:
//     {"device_id", "bucket": "minute", "metric", "from", "to", "thresholds": {...},
//      "series": {metric: [{"at", "avg", "min", "max", "samples"}]}}
//
// A range is [from, to], by default the last 24 hours. A series is capped at max_points per
// metric; a longer range is refused (422) rather than silently cut, naming a coarser bucket.
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "pagination.hpp"
#include "thresholds.hpp"
#include "time_text.hpp"

#include <chrono>

namespace sarang::http {
namespace {

using Clock = std::chrono::system_clock;

constexpr long long max_points = 10000;

struct Range {
    Clock::time_point from, to;
};

Range query_range(const Request& request) {
    Clock::time_point to = query_time(request, "to").value_or(Clock::now());
    Clock::time_point from = query_time(request, "from").value_or(to - std::chrono::hours(24));
    if (from > to)
        fail_validation("from", "must not be after to");
    return {from, to};
}

// The metrics asked about: one, or every metric of the kind.
std::vector<const MetricSpec*> asked_metrics(const Request& request, const VisibleDevice& device) {
    std::vector<const MetricSpec*> all =
        device.kind ? kind_metrics(*device.kind) : std::vector<const MetricSpec*>{};
    std::optional<std::string> metric = query_text(request, "metric");
    if (!metric)
        return all;
    const MetricSpec* spec = device.kind ? device.kind->metric(*metric) : nullptr;
    if (spec == nullptr)
        fail_validation("metric", "is not a metric of kind " + device.kind_name);
    return {spec};
}

// {metric: thresholds} for the asked metrics, from one query.
std::map<std::string, EffectiveThresholds>
effective_thresholds(pg::Connection& db, const VisibleDevice& device,
                     const std::vector<const MetricSpec*>& metrics) {
    std::vector<std::string> names;
    for (const MetricSpec* spec : metrics)
        names.emplace_back(spec->name);
    pg::Result rows = db.exec(std::string("SELECT m.metric, ") + threshold_columns +
                                  " FROM unnest($2::text[]) AS m(metric)"
                                  " LEFT JOIN metric_thresholds t"
                                  " ON t.device_id = $1 AND t.metric = m.metric",
                              {device.id, pg::array_literal(names)});
    std::map<std::string, EffectiveThresholds> found;
    for (int row = 0; row < rows.rows(); ++row) {
        std::string metric(rows.text(row, 0));
        if (auto effective = thresholds_at(rows, row, 1, device.kind, metric))
            found.emplace(metric, *effective);
    }
    return found;
}

json::Ptr thresholds_object(const std::map<std::string, EffectiveThresholds>& thresholds) {
    json::Ptr object = json::own(json_object());
    for (const auto& [metric, effective] : thresholds)
        json::set(object.get(), metric.c_str(), thresholds_json(effective));
    return object;
}

std::optional<std::string> one_metric(const Request& request) {
    return query_text(request, "metric");
}

json::Ptr raw_readings(pg::Connection& db, const Request& request, const VisibleDevice& device,
                       const Range& range,
                       const std::map<std::string, EffectiveThresholds>& thresholds) {
    PageRequest page = query_page(request);
    const std::string where = " FROM readings WHERE device_id = $1"
                              " AND ($2::text IS NULL OR metric = $2::text) AND at >= " +
                              timestamptz_param("$3") + " AND at <= " + timestamptz_param("$4");
    pg::Params params = {device.id, one_metric(request), epoch_micros(range.from),
                         epoch_micros(range.to)};
    long long count = db.exec("SELECT count(*)" + where, params).integer(0, 0);
    require_page_exists(page, count);
    params.push_back(std::to_string(page.size));
    params.push_back(std::to_string(page.offset()));
    pg::Result rows = db.exec("SELECT metric, value, " + iso8601_micro_sql("at") + where +
                                  " ORDER BY at DESC, metric LIMIT $5 OFFSET $6",
                              params);
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        std::string metric(rows.text(row, 0));
        double value = rows.number(row, 1);
        auto found = thresholds.find(metric);
        json::Ptr reading = json::own(json_object());
        json::set(reading.get(), "metric", json::own(json_string(metric.c_str())));
        json::set(reading.get(), "value", json::own(json_real(value)));
        json::set(reading.get(), "at",
                  json::own(json_string(std::string(rows.text(row, 2)).c_str())));
        json::set(reading.get(), "level",
                  level_json(value, found == thresholds.end()
                                        ? std::nullopt
                                        : std::optional<EffectiveThresholds>(found->second)));
        json::append(results.get(), std::move(reading));
    }
    return page_object(request, page, count, std::move(results));
}

json::Ptr series(pg::Connection& db, const Request& request, const VisibleDevice& device,
                 const Range& range, const std::vector<const MetricSpec*>& metrics,
                 const std::string& bucket) {
    long long seconds = bucket == "minute" ? 60 : 3600;
    long long span =
        std::chrono::duration_cast<std::chrono::seconds>(range.to - range.from).count();
    long long points = span / seconds + 1;
    if (points > max_points)
        fail_validation("bucket", "gives " + std::to_string(points) + " points per metric over" +
                                      " this range (at most " + std::to_string(max_points) +
                                      "); use " + (bucket == "minute" ? "bucket=hour or " : "") +
                                      "a shorter range");
    // A bucket belongs to the range when it overlaps it, so the first partial minute counts.
    pg::Result rows = db.exec("SELECT metric, " + iso8601_sql("bucket") +
                                  ", total / samples, low, high, samples FROM reading_rollups"
                                  " WHERE device_id = $1 AND bucket_seconds = $2::integer"
                                  " AND ($3::text IS NULL OR metric = $3::text)"
                                  " AND bucket >= date_trunc($4::text, " +
                                  timestamptz_param("$5") +
                                  ")"
                                  " AND bucket <= " +
                                  timestamptz_param("$6") + " ORDER BY metric, bucket",
                              {device.id, std::to_string(seconds), one_metric(request), bucket,
                               epoch_micros(range.from), epoch_micros(range.to)});
    json::Ptr object = json::own(json_object());
    for (const MetricSpec* spec : metrics)
        json::set(object.get(), std::string(spec->name).c_str(), json::own(json_array()));
    for (int row = 0; row < rows.rows(); ++row) {
        std::string metric(rows.text(row, 0));
        json_t* points_of = json_object_get(object.get(), metric.c_str());
        if (points_of == nullptr) { // a metric the kind no longer lists
            json::set(object.get(), metric.c_str(), json::own(json_array()));
            points_of = json_object_get(object.get(), metric.c_str());
        }
        json::Ptr point = json::own(json_object());
        json::set(point.get(), "at",
                  json::own(json_string(std::string(rows.text(row, 1)).c_str())));
        json::set(point.get(), "avg", json::own(json_real(rows.number(row, 2))));
        json::set(point.get(), "min", json::own(json_real(rows.number(row, 3))));
        json::set(point.get(), "max", json::own(json_real(rows.number(row, 4))));
        json::set(point.get(), "samples", json::own(json_integer(rows.integer(row, 5))));
        json::append(points_of, std::move(point));
    }
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "series", std::move(object));
    return body;
}

Response device_readings(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    std::vector<const MetricSpec*> metrics = asked_metrics(request, device);
    Range range = query_range(request);
    std::string bucket = query_choice(request, "bucket", {"raw", "minute", "hour"}).value_or("raw");

    DbPool::Lease db = services.db.acquire();
    std::map<std::string, EffectiveThresholds> thresholds =
        effective_thresholds(*db, device, metrics);
    json::Ptr body = bucket == "raw" ? raw_readings(*db, request, device, range, thresholds)
                                     : series(*db, request, device, range, metrics, bucket);
    json::set(body.get(), "device_id", json::own(json_string(device.id.c_str())));
    json::set(body.get(), "bucket", json::own(json_string(bucket.c_str())));
    std::optional<std::string> metric = one_metric(request);
    json::set(body.get(), "metric", json::own(metric ? json_string(metric->c_str()) : json_null()));
    json::set(body.get(), "from", json::own(json_string(iso8601_micro(range.from).c_str())));
    json::set(body.get(), "to", json::own(json_string(iso8601_micro(range.to).c_str())));
    json::set(body.get(), "thresholds", thresholds_object(thresholds));
    return json_response(200, body.get());
}

} // namespace

void add_device_readings_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/devices/{id}/readings/", Access::device_owner(),
               bound(services, device_readings));
}

} // namespace sarang::http
