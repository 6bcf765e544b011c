#pragma once
// What POST /api/device/control/{action} publishes on {prefix}/control, exactly as seed 004's
// firmware reads it:
//   capture        {"capture": true}
//   flash          {"flash": "on"|"off"} or {"flash": "pulse", "ms": 10-5000 (default 150)}
//   buzzer         {"buzzer": "start"[, "ms": 1000-300000]} or {"buzzer": "stop"}
//   holder         {"holder": "open"|"pulse"[, "ms": 1000-60000]} or {"holder": "closed"}
//   stop-pipeline  {"pipeline": "stop"}
// A bad value is a 422 naming the field; nothing is sent.
#include "sarang/json.hpp"

#include <string_view>

namespace sarang::http {

// `action`: the last path segment; `body` the request's JSON object (may be null for capture
// and stop-pipeline). An unknown action is a 404.
json::Ptr control_payload(std::string_view action, const json_t* body);

// The seed's name of the control command a payload carries (lastCommand of device status):
// capture, flash, buzzer, holder or stop-pipeline; empty when none.
std::string_view control_name(const json_t* payload);

} // namespace sarang::http
