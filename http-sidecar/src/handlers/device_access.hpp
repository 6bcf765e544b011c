#pragma once
// Which devices a user may see: their own (admins: all). Someone else's device answers 404, the
// same as a device that does not exist, so ids cannot be probed.
#include "auth/caller.hpp"
#include "sarang/device_kinds.hpp"

#include <optional>
#include <string>

namespace sarang::http {

// The owner_id to filter on as a query parameter; nullopt (SQL NULL) for admins.
std::optional<std::string> owner_filter(const UserCaller& caller);

// 404 unless the device exists and the caller may see it.
VisibleDevice visible_device(Services& services, const UserCaller& caller, const std::string& id);

} // namespace sarang::http
