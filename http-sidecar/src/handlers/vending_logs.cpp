// A vending machine's dispense and stock logs, newest first, for its owner or an admin.
//
//   GET /api/v1/vending/machines/{id}/dispense-logs?page=&page_size=
//   GET /api/v1/vending/machines/{id}/stock-logs?page=&page_size=
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "pagination.hpp"
#include "time_text.hpp"
#include "vending/cells.hpp"
#include "vending/machine_access.hpp"

namespace sarang::http {
namespace {

struct Column {
    const char* name;
    std::string sql;
    json::Ptr (*cell)(const pg::Result&, int, int);
};

Response list_log(Services& services, const Request& request, const char* table,
                  const char* order_by, const std::vector<Column>& columns) {
    VisibleDevice machine = vending_machine(request.target());
    PageRequest page = query_page(request);
    const std::string from = std::string(" FROM ") + table + " WHERE machine_id = $1";
    DbPool::Lease db = services.db.acquire();
    long long count = db->exec("SELECT count(*)" + from, {machine.id}).integer(0, 0);
    require_page_exists(page, count);
    std::string select;
    for (const Column& column : columns)
        select += (select.empty() ? "" : ", ") + column.sql;
    pg::Result rows = db->exec(
        "SELECT " + select + from + " ORDER BY " + order_by + " DESC, id DESC LIMIT $2 OFFSET $3",
        {machine.id, std::to_string(page.size), std::to_string(page.offset())});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        json::Ptr entry = json::own(json_object());
        for (std::size_t i = 0; i < columns.size(); ++i)
            json::set(entry.get(), columns[i].name,
                      columns[i].cell(rows, row, static_cast<int>(i)));
        json::append(results.get(), std::move(entry));
    }
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

Response dispense_logs(Services& services, const Request& request) {
    static const std::vector<Column> columns = {
        {"id", "id", cells::integer},
        {"order_id", "order_id", cells::text},
        {"slot", "slot_number", cells::integer},
        {"command_id", "command_id", cells::text},
        {"timeoutMs", "timeout_ms", cells::integer},
        {"command_sent_at", iso8601_sql("command_sent_at"), cells::text},
        {"result_at", iso8601_sql("result_at"), cells::text},
        {"success", "success", cells::boolean},
        {"dropDetected", "drop_detected", cells::boolean},
        {"durationMs", "duration_ms", cells::integer},
        {"error", "error", cells::text},
        {"timed_out_at", iso8601_sql("timed_out_at"), cells::text},
        {"late", "late", cells::boolean},
    };
    return list_log(services, request, "dispense_logs", "command_sent_at", columns);
}

Response stock_logs(Services& services, const Request& request) {
    static const std::vector<Column> columns = {
        {"id", "id", cells::integer},
        {"slot", "slot_number", cells::integer},
        {"change", "change", cells::integer},
        {"stock_after", "stock_after", cells::integer},
        {"reason", "reason", cells::text},
        {"order_id", "order_id", cells::text},
        {"user_id", "user_id", cells::integer},
        {"created_at", iso8601_sql("created_at"), cells::text},
    };
    return list_log(services, request, "stock_logs", "created_at", columns);
}

} // namespace

void add_vending_log_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/vending/machines/{id}/dispense-logs", Access::device_owner(),
               bound(services, dispense_logs));
    router.add("GET", "/api/v1/vending/machines/{id}/stock-logs", Access::device_owner(),
               bound(services, stock_logs));
}

} // namespace sarang::http
