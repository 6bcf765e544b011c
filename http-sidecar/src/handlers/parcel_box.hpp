#pragma once
// Which parcel box a device-scoped seed endpoint (/api/device/..., which named no device in the
// single-box seed) means: the body's or the query's deviceId, else the caller's only parcel box
// (ARCHITECTURE.md section 7). None: 404; several and none named: 409 asking for deviceId.
#include "device_access.hpp"
#include "sarang/json.hpp"

namespace sarang::http {

// `body` may be null. The device must be visible to the caller (404) and a parcel box (422).
VisibleDevice parcel_box(Services& services, const UserCaller& caller, const Request& request,
                         const json_t* body = nullptr);

} // namespace sarang::http
