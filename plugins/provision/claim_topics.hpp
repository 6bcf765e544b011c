#pragma once
// The claim identity's whole world: two topics keyed by its client id. Pure, unit-tested.
//
//   sarang/provision/<client id>/request   the device publishes {device_id, pin_code[, kind]}
//   sarang/provision/<client id>/response  the broker answers there (a targeted publish)
//
// sarang/ is reserved: no device prefix may lie under it (sql/0007_provisioning.sql).
#include <string>
#include <string_view>

namespace sarang::provision {

// The MQTT username of the claim identity. '$' is in neither the users' nor the devices'
// alphabet, so no account or device can ever shadow it.
inline constexpr std::string_view claim_username = "$provision";

std::string request_topic(std::string_view client_id);
std::string response_topic(std::string_view client_id);

// Whether `topic` is `client_id`'s request topic; allocation-free.
bool is_request_topic(std::string_view topic, std::string_view client_id);
bool is_response_topic(std::string_view topic, std::string_view client_id);

} // namespace sarang::provision
