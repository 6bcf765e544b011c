// GET /api/v1/devices/{id}/events?subtopic=&page=&page_size=: what a device reported beyond
// numbers (the telemetry plugin's device_events: parcel `event`, `photo/status`,
// `settings/cur`, a lock's `alert`, and status changes), newest first, DRF-paginated:
//   {"count", "next", "previous", "results": [{"subtopic", "at", "payload"}]}
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "pagination.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

Response device_events(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    std::optional<std::string> subtopic = query_text(request, "subtopic");
    PageRequest page = query_page(request);
    const std::string where = " FROM device_events WHERE device_id = $1"
                              " AND ($2::text IS NULL OR subtopic = $2::text)";
    DbPool::Lease db = services.db.acquire();
    long long count = db->exec("SELECT count(*)" + where, {device.id, subtopic}).integer(0, 0);
    require_page_exists(page, count);
    pg::Result rows =
        db->exec("SELECT subtopic, " + iso8601_micro_sql("at") + ", payload::text" + where +
                     " ORDER BY at DESC, subtopic LIMIT $3 OFFSET $4",
                 {device.id, subtopic, std::to_string(page.size), std::to_string(page.offset())});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        json::Ptr event = json::own(json_object());
        json::set(event.get(), "subtopic",
                  json::own(json_string(std::string(rows.text(row, 0)).c_str())));
        json::set(event.get(), "at",
                  json::own(json_string(std::string(rows.text(row, 1)).c_str())));
        std::string error;
        json::Ptr payload = json::parse(rows.text(row, 2), error);
        json::set(event.get(), "payload", payload ? std::move(payload) : json::own(json_null()));
        json::append(results.get(), std::move(event));
    }
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

} // namespace

void add_device_event_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/devices/{id}/events", Access::device_owner(),
               bound(services, device_events));
}

} // namespace sarang::http
