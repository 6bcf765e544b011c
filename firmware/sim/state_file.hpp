#pragma once
// sarang-sim's memory between runs: each simulated device's id, label PIN and non-volatile
// storage (its credential). The file holds device secrets: mode 0600, replaced atomically.
#include <map>
#include <string>
#include <vector>

namespace sarang_sim {

struct DeviceRecord {
    std::string name;            // pi-7
    std::string device_id;       // pi-7 (bulk) or the simulated MAC id (factory)
    std::string label_pin;       // factory: printed on the "label"
    std::string chip_id;         // the simulated MAC id (softap: differs from the device id)
    std::string provisioning_id; // softap: the pre-registration to watch
    bool claimed = false;        // claimed by the user (factory) or provisioned (softap)
    std::map<std::string, std::string> storage; // the device's NVS
};

struct SimState {
    std::string kind;
    std::vector<DeviceRecord> devices;
    DeviceRecord* find(const std::string& name);
};

// A missing file is an empty state. False (with error) when it exists but cannot be used.
bool load_state(const std::string& path, SimState& state, std::string& error);
bool save_state(const std::string& path, const SimState& state, std::string& error);

} // namespace sarang_sim
