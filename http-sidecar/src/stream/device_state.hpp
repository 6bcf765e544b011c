#pragma once
// What the dashboard shows of one device, as one JSON object, loaded for many devices in one
// query: identity, transport presence, the status the device last reported, and the newest
// value of each metric judged against its thresholds (the device's own row in
// metric_thresholds, else its kind's defaults).
//
//   {"id": "pi-1", "name": "pi-1", "kind": "hydro-sensor", "owner": "alice", "online": true,
//    "lastSeenAt": "2026-01-01T10:00:30.000Z",
//    "status": {"online": true, "payload": "online", "at": "2026-01-01T10:00:00.000Z"},
//    "values": {"ph": {"value": 6.8, "at": "2026-01-01T10:00:30.123456Z", "level": "normal"}}}
//
// "status" is null until the device reports one; "level" is null for a metric nobody set
// thresholds for.
#include "sarang/pg.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sarang::http {

struct DeviceState {
    std::string id;
    std::optional<long long> owner_id; // nullopt: unclaimed, only admins see it
    std::string json;                  // the object above, compact
};

// Devices among `ids` (nullopt: any) owned by one of `owners` (nullopt: anyone), by id.
std::vector<DeviceState> load_device_states(pg::Connection& db,
                                            const std::optional<std::vector<std::string>>& ids,
                                            const std::optional<std::vector<long long>>& owners);

} // namespace sarang::http
