// GET /api/v1/devices/{id}/presence?page=&page_size=: the device's MQTT connection history (the
// access plugin's device_presence rows, one per connect or disconnect), newest first,
// DRF-paginated: {"count", "next", "previous", "results": [{"online", "node", "at"}]}
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "pagination.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

Response device_presence(Services& services, const Request& request) {
    const VisibleDevice& device = request.target();
    PageRequest page = query_page(request);
    DbPool::Lease db = services.db.acquire();
    long long count =
        db->exec("SELECT count(*) FROM device_presence WHERE device_id = $1", {device.id})
            .integer(0, 0);
    require_page_exists(page, count);
    pg::Result rows =
        db->exec("SELECT online, node, " + iso8601_sql("at") +
                     " FROM device_presence WHERE device_id = $1"
                     " ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
                 {device.id, std::to_string(page.size), std::to_string(page.offset())});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        json::Ptr change = json::own(json_object());
        json::set(change.get(), "online", json::own(json_boolean(rows.text(row, 0) == "t")));
        json::set(change.get(), "node",
                  json::own(json_string(std::string(rows.text(row, 1)).c_str())));
        json::set(change.get(), "at",
                  json::own(json_string(std::string(rows.text(row, 2)).c_str())));
        json::append(results.get(), std::move(change));
    }
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

} // namespace

void add_device_presence_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/devices/{id}/presence", Access::device_owner(),
               bound(services, device_presence));
}

} // namespace sarang::http
