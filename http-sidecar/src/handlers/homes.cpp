// GET /api/v1/homes (the caller's homes) and POST /api/v1/homes {name}: the homes a SoftAP
// pre-registration and a claim put devices in.
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

json::Ptr home_json(const pg::Result& rows, int row) {
    json::Ptr home = json::own(json_object());
    json::set(home.get(), "id", json::own(json_integer(rows.integer(row, 0))));
    json::set(home.get(), "name", json::own(json_string(std::string(rows.text(row, 1)).c_str())));
    json::set(home.get(), "created_at",
              json::own(json_string(std::string(rows.text(row, 2)).c_str())));
    json::set(home.get(), "device_count", json::own(json_integer(rows.integer(row, 3))));
    return home;
}

Response list_homes(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec("SELECT h.id, h.name, " + iso8601_sql("h.created_at") +
                                   ", (SELECT count(*) FROM devices d WHERE d.home_id = h.id)"
                                   " FROM homes h WHERE h.owner_id = $1 ORDER BY h.id",
                               {std::to_string(caller.user_id)});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(results.get(), home_json(rows, row));
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "count", json::own(json_integer(rows.rows())));
    json::set(reply.get(), "results", std::move(results));
    return json_response(200, reply.get());
}

Response create_home(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string name = required_text(body.get(), "name", 100);
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec("INSERT INTO homes (owner_id, name) VALUES ($1, $2)"
                               " ON CONFLICT (owner_id, name) DO NOTHING"
                               " RETURNING id, name, " +
                                   iso8601_sql("created_at") + ", 0",
                               {std::to_string(caller.user_id), name});
    if (rows.rows() != 1)
        throw HttpError(409, "already_exists", "you already have a home with this name");
    return json_response(201, home_json(rows, 0).get());
}

} // namespace

void add_home_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/homes", Access::user(), bound(services, list_homes));
    router.add("POST", "/api/v1/homes", Access::user(), bound(services, create_home));
}

} // namespace sarang::http
