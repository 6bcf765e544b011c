#include "device_access.hpp"

#include "http_error.hpp"

namespace sarang::http {

std::optional<std::string> owner_filter(const UserCaller& caller) {
    return caller.admin() ? std::nullopt : std::optional(std::to_string(caller.user_id));
}

VisibleDevice visible_device(Services& services, const UserCaller& caller, const std::string& id) {
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("SELECT kind FROM devices"
                        " WHERE id = $1 AND ($2::bigint IS NULL OR owner_id = $2::bigint)",
                        {id, owner_filter(caller)});
    }();
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    VisibleDevice device{id, std::string(rows.text(0, 0)), nullptr};
    device.kind = find_kind(device.kind_name);
    return device;
}

} // namespace sarang::http
