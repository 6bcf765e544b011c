// POST /api/v1/readings/ (and seed 003's POST /api/readings/): a device that cannot speak MQTT
// posts what it would have published on its readings topic, authenticated by its own
// credential (X-API-Key or Bearer). The message is read by the same parser as MQTT and lands
// through the same staging functions, so both paths deduplicate, roll up and notify alike.
//
//   {"tds": 512.3, "ph": 6.8, "ts": 1767261600}   (seed 003: "tds_value", "ph_value")
//   -> 201 {"device_id", "at", "values": {"ph": 6.8, "tds": 512.3}, "created": 2,
//           "raspberry_pi", "device", "timestamp", "tds_value", "ph_value", "status",
//           "levels": {"ph": "normal", "tds": "normal"}}   (seed 003's SensorReading)
//   -> 200 with "created": 0 when every reading was already stored (a repeat with the same ts)
//   -> 422 {"code": "validation_failed", "field": "ph_value"}: the field as the device named it
//      ("body" when the body as a whole is wrong)
#include "auth/caller.hpp"
#include "device_rejections.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "sarang/data_message.hpp"
#include "sarang/log.hpp"
#include "sarang/log_sampler.hpp"
#include "seed_shapes.hpp"
#include "thresholds.hpp"
#include "time_text.hpp"

#include <cstdio>
#include <map>

namespace sarang::http {
namespace {

// One log line per device and reason per minute, however fast a device posts bad readings.
LogSampler rejection_log;

// Counts a refused body against its device (device_rejections, and so /metrics) and logs it
// sampled. Counting must not turn the 4xx into a 500: a failure here is logged and dropped.
void note_rejection(Services& services, const Request& request, const std::string& reason,
                    const std::string& detail) {
    const std::string& device = request.device().id;
    if (std::optional<std::uint64_t> folded = rejection_log.due(device, reason))
        LOG_WARN("httpd", "rejected reading from %s: %s (%s; %llu more since the last line)",
                 device.c_str(), json::valid_utf8(detail).c_str(), reason.c_str(),
                 static_cast<unsigned long long>(*folded));
    try {
        DbPool::Lease db = services.db.acquire();
        record_rejection(*db, device, reason, detail, request.body);
    } catch (const std::exception& error) {
        if (rejection_log.due(device, "count_failed"))
            LOG_WARN("httpd", "rejected reading from %s not counted: %s", device.c_str(),
                     error.what());
    }
}

// Seed 003's SensorReading names its fields "<metric>_value"; they count as the metric's own
// field unless that is present too. Returns {field: the name the device used} for those.
std::map<std::string, std::string> accept_seed_field_names(json_t* body, const DataTopic& topic) {
    std::map<std::string, std::string> renamed;
    for (const MetricSpec& spec : topic.metrics) {
        std::string field(spec.json_field());
        json_t* alias = json_object_get(body, (field + "_value").c_str());
        if (alias != nullptr && json_object_get(body, field.c_str()) == nullptr) {
            json_object_set(body, field.c_str(), alias); // not _new: both keep a reference
            renamed.emplace(field, field + "_value");
        }
    }
    return renamed;
}

std::string number_text(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

[[noreturn]] void reject(std::string_view message, const std::string& field = "body") {
    json::Ptr body = error_object("validation_failed", message);
    json::set(body.get(), "field", json::own(json_string(field.c_str())));
    throw HttpError(json_response(422, body.get()));
}

// The stored message as seed 003's SensorReading, judged by the device's thresholds.
void add_seed_reading(pg::Connection& db, json_t* reply, const DeviceCaller& device,
                      const std::vector<std::string>& metrics) {
    const KindSpec* kind = find_kind(device.kind);
    pg::Result rows = db.exec(std::string("SELECT m.metric, ") + threshold_columns +
                                  " FROM unnest($2::text[]) AS m(metric)"
                                  " LEFT JOIN metric_thresholds t"
                                  " ON t.device_id = $1 AND t.metric = m.metric",
                              {device.id, pg::array_literal(metrics)});
    const json_t* values = json_object_get(reply, "values");
    json::Ptr levels = json::own(json_object());
    for (int row = 0; row < rows.rows(); ++row) {
        std::string metric(rows.text(row, 0));
        json::set(levels.get(), metric.c_str(),
                  level_json(json_number_value(json_object_get(values, metric.c_str())),
                             thresholds_at(rows, row, 1, kind, metric)));
    }
    json::set(reply, "raspberry_pi", json::own(json_string(device.id.c_str())));
    json::set(reply, "device", json::own(json_string(device.id.c_str())));
    json_object_set(reply, "timestamp", json_object_get(reply, "at"));
    add_seed_values(reply, values);
    json::set(reply, "status", seed_status(levels.get(), kind));
    json::set(reply, "levels", std::move(levels));
}

Response post_reading(Services& services, const Request& request) {
    const DeviceCaller& device = request.device();
    json::Ptr body;
    try {
        body = json_object_body(request);
    } catch (const HttpError& error) {
        note_rejection(services, request, "not_json", "the body is not a JSON object");
        throw;
    }
    const DataTopic* topic = readings_topic(find_kind(device.kind));
    if (topic == nullptr) {
        note_rejection(services, request, "wrong_topic", "this kind sends no readings");
        reject("devices of kind " + device.kind + " send no readings");
    }
    std::map<std::string, std::string> renamed = accept_seed_field_names(body.get(), *topic);
    ParsedMessage message = parse_data_message(*topic, json::dump(body.get()));
    if (!message.ok()) {
        note_rejection(services, request, std::string(rejection_reason(message)), message.error);
        auto as_sent = renamed.find(message.field);
        if (as_sent == renamed.end())
            reject(message.error, message.field.empty() ? "body" : message.field);
        reject(as_sent->second + message.error.substr(message.field.size()), as_sent->second);
    }
    TimePoint at = message_time(std::chrono::system_clock::now(), message.device_time);

    std::vector<std::string> metrics, values;
    json::Ptr shown = json::own(json_object());
    for (const Metric& metric : message.metrics) {
        metrics.push_back(metric.name);
        values.push_back(number_text(metric.value));
        json::set(shown.get(), metric.name.c_str(), json::own(json_real(metric.value)));
    }
    long long created = 0;
    json::Ptr reply = json::own(json_object());
    {
        DbPool::Lease db = services.db.acquire();
        pg::Transaction transaction(*db);
        transaction.exec("SELECT sarang_create_staging()");
        transaction.exec(
            "INSERT INTO pg_temp.staged_readings (device_id, metric, at, value)"
            " SELECT $1, m.metric, " +
                timestamptz_param("$2") +
                ", m.value"
                " FROM unnest($3::text[], $4::float8[]) AS m(metric, value)",
            {device.id, epoch_micros(at), pg::array_literal(metrics), pg::array_literal(values)});
        created = transaction.exec("SELECT new_readings FROM sarang_land_staged()").integer(0, 0);
        transaction.commit();
        json::set(reply.get(), "device_id", json::own(json_string(device.id.c_str())));
        json::set(reply.get(), "at", json::own(json_string(iso8601_micro(at).c_str())));
        json::set(reply.get(), "values", std::move(shown));
        json::set(reply.get(), "created", json::own(json_integer(created)));
        add_seed_reading(*db, reply.get(), device, metrics);
    }
    return json_response(created > 0 ? 201 : 200, reply.get());
}

} // namespace

void add_ingest_routes(Router& router, Services& services) {
    for (const char* path : {"/api/v1/readings/", "/api/readings/"})
        router.add("POST", path, Access::device(), bound(services, post_reading));
}

} // namespace sarang::http
