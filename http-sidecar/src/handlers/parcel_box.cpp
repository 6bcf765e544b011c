#include "parcel_box.hpp"

#include "http_error.hpp"
#include "json_body.hpp"
#include "query_params.hpp"

namespace sarang::http {

VisibleDevice parcel_box(Services& services, const UserCaller& caller, const Request& request,
                         const json_t* body) {
    std::optional<std::string> named = body ? optional_string(body, "deviceId") : std::nullopt;
    if (!named)
        named = query_text(request, "deviceId");
    if (named) {
        VisibleDevice device = visible_device(services, caller, *named);
        if (device.kind_name != "parcel-box")
            fail_validation("deviceId", "is not a parcel box");
        return device;
    }
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("SELECT id FROM devices WHERE kind = 'parcel-box' AND state <> 'revoked'"
                        " AND ($1::bigint IS NULL OR owner_id = $1::bigint) ORDER BY id LIMIT 2",
                        {owner_filter(caller)});
    }();
    if (rows.rows() == 0)
        throw HttpError(404, "not_found", "you have no parcel box");
    if (rows.rows() > 1)
        throw HttpError(409, "device_ambiguous",
                        "you have several parcel boxes; name one with deviceId");
    VisibleDevice device{std::string(rows.text(0, 0)), "parcel-box", find_kind("parcel-box")};
    return device;
}

} // namespace sarang::http
