// GET /api/v1/devices/{id}/readings/ (and seed 003's /api/devices/{id}/readings/): one device's
// history.
//
//   bucket=reading (the default for hydro sensors, seed 003's SensorReading rows): one row per
//   reading message, newest first, paginated DRF-style:
//     {"device_id", "bucket": "reading", "metric": null, "from", "to", "thresholds",
//      "count", "next", "previous", "results": [{"raspberry_pi", "device", "timestamp", "at",
//      "tds_value", "ph_value", "status", "values": {metric: value}, "levels": {metric: level}}]}
//   bucket=raw (the default for other kinds, and with metric=): one row per metric:
//     {"device_id", "bucket": "raw", "metric", "from", "to", "thresholds": {metric: {...}},
//      "count", "next", "previous", "results": [{"metric", "value", "at", "level"}]}
//   bucket=minute|hour: a chart series from reading_rollups, oldest first:
//     {"device_id", "bucket": "minute", "metric", "from", "to", "thresholds": {...},
//      "series": {metric: [{"at", "avg", "min", "max", "samples"}]}}
//
// A range is [from, to], by default the last 24 hours; the seed's django-filter names
// timestamp__gte / timestamp__lte and start_date / end_date mean from / to. A series is capped at
// max_points per metric; a longer range is refused (422) rather than silently cut, naming a coarser
// bucket.
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "pagination.hpp"
#include "seed_shapes.hpp"
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

// The first of `names` the query has (errors name it), or the first name.
std::string_view given_name(const Request& request, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
        if (request.query.count(std::string(name)) != 0)
            return name;
    }
    return *names.begin();
}

Range query_range(const Request& request) {
    std::string_view to_name = given_name(request, {"to", "timestamp__lte", "end_date"});
    std::string_view from_name = given_name(request, {"from", "timestamp__gte", "start_date"});
    Clock::time_point to = query_time(request, to_name).value_or(Clock::now());
    Clock::time_point from = query_time(request, from_name).value_or(to - std::chrono::hours(24));
    if (from > to)
        fail_validation(std::string(from_name), "must not be after " + std::string(to_name));
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

// A time for `$N::timestamptz`, exact to the microsecond. A constant, unlike an expression over
// an epoch parameter (timestamptz + interval is only stable), lets the planner prune the
// partitions of readings and reading_rollups outside the range instead of planning every one.
std::string time_constant(Clock::time_point at) {
    return iso8601_micro(at);
}

// The metrics of device $1 that have readings (only `metric` when that parameter is not NULL),
// as an array. Keys lead with (device_id, metric): naming the metrics makes each index scan
// read just the asked range of each metric, where "any metric" would read every row the device
// ever sent and filter on time (a day's chart cost grew with the whole history). Landing writes
// latest_readings in the same transaction as readings and rollups, so every metric that has
// rows is listed there.
std::string device_metrics_sql(const std::string& metric) {
    return "ARRAY(SELECT metric FROM latest_readings WHERE device_id = $1 AND (" + metric +
           "::text IS NULL OR metric = " + metric + "::text))";
}

json::Ptr raw_readings(pg::Connection& db, const Request& request, const VisibleDevice& device,
                       const Range& range,
                       const std::map<std::string, EffectiveThresholds>& thresholds) {
    PageRequest page = query_page(request);
    const std::string where = " FROM readings WHERE device_id = $1 AND metric = ANY(" +
                              device_metrics_sql("$2") +
                              ") AND at >= $3::timestamptz AND at <= $4::timestamptz";
    pg::Params params = {device.id, one_metric(request), time_constant(range.from),
                         time_constant(range.to)};
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

// One row per reading message (the readings topic's metrics stored under one time), seed
// 003's SensorReading beside Sarang's values and levels.
json::Ptr message_rows(pg::Connection& db, const Request& request, const VisibleDevice& device,
                       const Range& range,
                       const std::map<std::string, EffectiveThresholds>& thresholds) {
    if (readings_topic(device.kind) == nullptr)
        fail_validation("bucket", "reading: devices of kind " + device.kind_name +
                                      " send no reading messages");
    bool newest_first =
        query_choice(request, "ordering", {"-timestamp", "timestamp"}).value_or("-timestamp") ==
        "-timestamp";
    PageRequest page = query_page(request);
    const std::string where = " FROM readings WHERE device_id = $1 AND metric = ANY($2::text[])"
                              " AND at >= $3::timestamptz AND at <= $4::timestamptz";
    pg::Params params = {device.id, pg::array_literal(reading_metric_names(device.kind)),
                         time_constant(range.from), time_constant(range.to)};
    long long count = db.exec("SELECT count(DISTINCT at)" + where, params).integer(0, 0);
    require_page_exists(page, count);
    params.push_back(std::to_string(page.size));
    params.push_back(std::to_string(page.offset()));
    pg::Result rows = db.exec(
        "SELECT " + iso8601_micro_sql("at") + ", json_object_agg(metric, value)::text" + where +
            " GROUP BY at ORDER BY at " + (newest_first ? "DESC" : "ASC") + " LIMIT $5 OFFSET $6",
        params);
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        std::string error;
        json::Ptr aggregated = json::parse(rows.text(row, 1), error); // json_object_agg: valid
        json::Ptr values = json::own(json_object());
        json::Ptr levels = json::own(json_object());
        const char* metric = nullptr;
        json_t* value = nullptr;
        json_object_foreach(aggregated.get(), metric, value) {
            // Reals, as everywhere else: json_object_agg writes a whole float8 as "6".
            json::set(values.get(), metric, json::own(json_real(json_number_value(value))));
            auto found = thresholds.find(metric);
            json::set(levels.get(), metric,
                      level_json(json_number_value(value),
                                 found == thresholds.end()
                                     ? std::nullopt
                                     : std::optional<EffectiveThresholds>(found->second)));
        }
        std::string timestamp(rows.text(row, 0));
        json::Ptr reading = json::own(json_object());
        json::set(reading.get(), "raspberry_pi", json::own(json_string(device.id.c_str())));
        json::set(reading.get(), "device", json::own(json_string(device.id.c_str())));
        json::set(reading.get(), "timestamp", json::own(json_string(timestamp.c_str())));
        json::set(reading.get(), "at", json::own(json_string(timestamp.c_str())));
        add_seed_values(reading.get(), values.get());
        json::set(reading.get(), "status", seed_status(levels.get(), device.kind));
        json::set(reading.get(), "values", std::move(values));
        json::set(reading.get(), "levels", std::move(levels));
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
    // Buckets are cut in UTC (sql/0006): whole minutes and hours of the epoch.
    Clock::time_point first =
        bucket == "minute" ? Clock::time_point(std::chrono::floor<std::chrono::minutes>(range.from))
                           : Clock::time_point(std::chrono::floor<std::chrono::hours>(range.from));
    pg::Result rows = db.exec("SELECT metric, " + iso8601_sql("bucket") +
                                  ", total / samples, low, high, samples FROM reading_rollups"
                                  " WHERE device_id = $1 AND metric = ANY(" +
                                  device_metrics_sql("$3") +
                                  ") AND bucket_seconds = $2::integer"
                                  " AND bucket >= $4::timestamptz AND bucket <= $5::timestamptz"
                                  " ORDER BY metric, bucket",
                              {device.id, std::to_string(seconds), one_metric(request),
                               time_constant(first), time_constant(range.to)});
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
    // Seed 003's clients name no bucket and no metric: they get its rows.
    bool seed_rows = device.kind_name == seed_reading_kind && !query_text(request, "metric");
    std::string bucket = query_choice(request, "bucket", {"reading", "raw", "minute", "hour"})
                             .value_or(seed_rows ? "reading" : "raw");
    if (bucket == "reading" && query_text(request, "metric"))
        fail_validation("metric", "does not apply to bucket=reading (one row per message)");

    DbPool::Lease db = services.db.acquire();
    std::map<std::string, EffectiveThresholds> thresholds =
        effective_thresholds(*db, device, metrics);
    json::Ptr body = bucket == "reading" ? message_rows(*db, request, device, range, thresholds)
                     : bucket == "raw"   ? raw_readings(*db, request, device, range, thresholds)
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
    for (const char* path : {"/api/v1/devices/{id}/readings/", "/api/devices/{id}/readings/"})
        router.add("GET", path, Access::device_owner(), bound(services, device_readings));
}

} // namespace sarang::http
