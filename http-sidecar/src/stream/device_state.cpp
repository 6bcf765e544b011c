#include "device_state.hpp"

#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

// One row per (device, metric); a device without readings still has one row, with NULLs.
const std::string select_states =
    "SELECT d.id, d.name, d.kind, d.owner_id, u.username, d.online, " +
    iso8601_sql("d.last_seen_at") + ", s.payload IS NOT NULL, s.online, s.payload::text, " +
    iso8601_sql("s.at") +
    ", r.metric, r.value,"
    " to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " t.device_id IS NOT NULL, t.normal_low, t.normal_high, t.warning_low, t.warning_high"
    " FROM devices d"
    " LEFT JOIN users u ON u.id = d.owner_id"
    " LEFT JOIN device_reported_status s ON s.device_id = d.id"
    " LEFT JOIN latest_readings r ON r.device_id = d.id"
    " LEFT JOIN metric_thresholds t ON t.device_id = r.device_id AND t.metric = r.metric"
    " WHERE ($1::text[] IS NULL OR d.id = ANY($1::text[]))"
    "   AND ($2::bigint[] IS NULL OR d.owner_id = ANY($2::bigint[]))"
    " ORDER BY d.id, r.metric";

enum Column {
    id,
    name,
    kind,
    owner_id,
    owner,
    online,
    last_seen,
    has_status,
    status_online,
    status_payload,
    status_at,
    metric,
    value,
    value_at,
    has_limits,
    normal_low,
    normal_high,
    warning_low,
    warning_high
};

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    return rows.is_null(row, column)
               ? json::own(json_null())
               : json::own(json_string(std::string(rows.text(row, column)).c_str()));
}

std::optional<double> number_or_none(const pg::Result& rows, int row, int column) {
    return rows.is_null(row, column) ? std::nullopt : std::optional(rows.number(row, column));
}

json::Ptr status_object(const pg::Result& rows, int row) {
    if (!rows.boolean(row, has_status))
        return json::own(json_null());
    json::Ptr status = json::own(json_object());
    json::set(status.get(), "online",
              rows.is_null(row, status_online)
                  ? json::own(json_null())
                  : json::own(json_boolean(rows.boolean(row, status_online))));
    std::string error;
    json::Ptr payload = json::parse(rows.text(row, status_payload), error);
    json::set(status.get(), "payload", payload ? std::move(payload) : json::own(json_null()));
    json::set(status.get(), "at", text_or_null(rows, row, status_at));
    return status;
}

json::Ptr device_object(const pg::Result& rows, int row) {
    json::Ptr device = json::own(json_object());
    json::set(device.get(), "id", text_or_null(rows, row, id));
    json::set(device.get(), "name", text_or_null(rows, row, name));
    json::set(device.get(), "kind", text_or_null(rows, row, kind));
    json::set(device.get(), "owner", text_or_null(rows, row, owner));
    json::set(device.get(), "online", json::own(json_boolean(rows.boolean(row, online))));
    json::set(device.get(), "lastSeenAt", text_or_null(rows, row, last_seen));
    json::set(device.get(), "status", status_object(rows, row));
    json::set(device.get(), "values", json::own(json_object()));
    return device;
}

std::optional<Thresholds> thresholds_of(const pg::Result& rows, int row) {
    if (rows.boolean(row, has_limits))
        return Thresholds{
            {number_or_none(rows, row, normal_low), number_or_none(rows, row, normal_high)},
            {number_or_none(rows, row, warning_low), number_or_none(rows, row, warning_high)}};
    const KindSpec* spec = find_kind(rows.text(row, kind));
    const MetricSpec* metric_spec = spec ? spec->metric(rows.text(row, metric)) : nullptr;
    if (metric_spec == nullptr)
        return std::nullopt;
    return metric_spec->defaults;
}

json::Ptr value_object(const pg::Result& rows, int row) {
    double reading = rows.number(row, value);
    json::Ptr entry = json::own(json_object());
    json::set(entry.get(), "value", json::own(json_real(reading)));
    json::set(entry.get(), "at", text_or_null(rows, row, value_at));
    std::optional<Thresholds> limits = thresholds_of(rows, row);
    json::set(
        entry.get(), "level",
        limits ? json::own(json_string(std::string(level_name(classify(reading, *limits))).c_str()))
               : json::own(json_null()));
    return entry;
}

template <typename T>
std::optional<std::string> array_param(const std::optional<std::vector<T>>& items) {
    if (!items)
        return std::nullopt;
    if constexpr (std::is_same_v<T, std::string>) {
        return pg::array_literal(*items);
    } else {
        std::vector<std::string> texts;
        texts.reserve(items->size());
        for (const T& item : *items)
            texts.push_back(std::to_string(item));
        return pg::array_literal(texts);
    }
}

} // namespace

std::vector<DeviceState> load_device_states(pg::Connection& db,
                                            const std::optional<std::vector<std::string>>& ids,
                                            const std::optional<std::vector<long long>>& owners) {
    pg::Result rows = db.exec(select_states, {array_param(ids), array_param(owners)});
    std::vector<DeviceState> states;
    json::Ptr current;
    auto flush = [&] {
        if (current)
            states.back().json = json::dump(current.get());
        current.reset();
    };
    for (int row = 0; row < rows.rows(); ++row) {
        std::string device_id(rows.text(row, id));
        if (!current || device_id != states.back().id) {
            flush();
            DeviceState state;
            state.id = device_id;
            if (!rows.is_null(row, owner_id))
                state.owner_id = rows.integer(row, owner_id);
            states.push_back(std::move(state));
            current = device_object(rows, row);
        }
        if (!rows.is_null(row, metric))
            json::set(json_object_get(current.get(), "values"),
                      std::string(rows.text(row, metric)).c_str(), value_object(rows, row));
    }
    flush();
    return states;
}

} // namespace sarang::http
