#pragma once
// How simulated devices get their credentials: bulk (sarangctl as an administrator on the
// server, seed 003) or factory (each device registers itself with the factory secret over MQTT,
// seed 000), then, optionally, a user claims them over REST with their label PINs.
#include "options.hpp"
#include "state_file.hpp"

#include <string>

namespace sarang_fw::host {
class CurlHttp;
}

namespace sarang_sim {

// The numbered names and, for the factory path, MAC ids and label PINs of the devices to run;
// records already in state are kept as they are.
void plan_devices(const Options& options, SimState& state);

// Bulk: runs `sarangctl devices create --name PATTERN --from --to --csv` for the devices that
// have no credential yet (re-keying, with --rotate, those that exist without one in the state
// file) and stores the credentials. False with error on failure.
bool register_in_bulk(const Options& options, SimState& state, std::string& error);

// Seed 002: for each device without a credential, the user's app pre-registers it
// (POST /api/provision/register/ into a home of theirs, made if they have none) and posts the
// answer's mqtt_config to the device's SoftAP API (the firmware's SetupPortal).
bool register_by_softap(const Options& options, sarang_fw::host::CurlHttp& http,
                        const std::string& token, SimState& state, std::string& error);
// GET /api/provision/status/{id}: true once the device's first connection provisioned it.
bool provisioned(const Options& options, sarang_fw::host::CurlHttp& http, const std::string& token,
                 const DeviceRecord& record);

// The user's session token for claims: SARANG_SIM_TOKEN, or a login with SARANG_SIM_PASSWORD.
bool claim_session(const Options& options, sarang_fw::host::CurlHttp& http, std::string& token,
                   std::string& error);
// POST /api/v1/devices/claim {device_id, pin_code}; true when the device is now the user's.
bool claim_device(const Options& options, sarang_fw::host::CurlHttp& http, const std::string& token,
                  const DeviceRecord& record, std::string& error);

} // namespace sarang_sim
