#include "device_rejections.hpp"

#include "sarang/data_message.hpp"
#include "time_text.hpp"

namespace sarang::http {

json::Ptr rejections_object(pg::Connection& db, const std::string& device_id) {
    pg::Result rows = db.exec("SELECT reason, count, last_detail, last_sample, last_source, " +
                                  iso8601_micro_sql("last_at") +
                                  " FROM device_rejections WHERE device_id = $1"
                                  " ORDER BY last_at DESC, reason",
                              {device_id});
    json::Ptr out = json::own(json_object());
    json::Ptr by_reason = json::own(json_object());
    long long total = 0;
    for (int row = 0; row < rows.rows(); ++row) {
        total += rows.integer(row, 1);
        json::set(by_reason.get(), std::string(rows.text(row, 0)).c_str(),
                  json::own(json_integer(rows.integer(row, 1))));
    }
    json::set(out.get(), "count", json::own(json_integer(total)));
    const char* fields[] = {"last_reason", "last_detail", "last_sample", "last_source"};
    const int columns[] = {0, 2, 3, 4};
    for (int i = 0; i < 4; ++i)
        json::set(out.get(), fields[i],
                  rows.rows() > 0 ? json::string(rows.text(0, columns[i]))
                                  : json::own(json_null()));
    json::set(out.get(), "last_at",
              rows.rows() > 0 ? json::string(rows.text(0, 5)) : json::own(json_null()));
    json::set(out.get(), "by_reason", std::move(by_reason));
    return out;
}

void record_rejection(pg::Connection& db, const std::string& device_id, const std::string& reason,
                      const std::string& detail, std::string_view body) {
    db.exec("SELECT sarang_add_rejections(ARRAY[$1::text], ARRAY[$2::text], ARRAY[1::bigint],"
            " ARRAY[$3::text], ARRAY[$4::text], 'http', now())",
            {device_id, reason, rejection_sample(detail, 300), rejection_sample(body)});
}

std::string render_rejection_metrics(pg::Connection& db) {
    pg::Result rows = db.exec(
        "SELECT reason, sum(count)::bigint FROM device_rejections GROUP BY reason ORDER BY reason");
    std::string out = "# HELP sarang_device_data_rejected_total Device messages (MQTT and HTTP) "
                      "refused, by reason, over the devices that still exist.\n"
                      "# TYPE sarang_device_data_rejected_total counter\n";
    for (int row = 0; row < rows.rows(); ++row)
        out += "sarang_device_data_rejected_total{reason=\"" + std::string(rows.text(row, 0)) +
               "\"} " + std::to_string(rows.integer(row, 1)) + "\n";
    return out;
}

} // namespace sarang::http
