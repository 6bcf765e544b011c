#pragma once
// The access plugin's in-memory view of devices: what BASIC_AUTH and ACL_CHECK answer from.
// Owned and mutated by the broker thread only (updates arrive through the mailbox in TICK), so
// lookups take no lock.
#include "sarang/crypto.hpp"
#include "sarang/device_kinds.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sarang::access {

struct DeviceRecord {
    std::string id;
    std::string kind_name;
    const KindSpec* kind = nullptr; // nullptr: a kind this build does not know; never admitted
    std::string topic_prefix;
    std::string state;
    std::optional<crypto::Digest> credential_hash;

    bool revoked() const { return state == "revoked"; }
};

// True when a session opened under `before` may no longer hold: the device is gone, revoked,
// has a new credential, or its prefix or kind moved.
bool access_changed(const DeviceRecord& before, const DeviceRecord* after);

class DeviceSnapshot {
  public:
    const DeviceRecord* find(std::string_view id) const;

    // Both return the ids whose live sessions must be kicked.
    std::vector<std::string> replace_all(std::vector<DeviceRecord> records);
    std::vector<std::string> update(const std::string& id, std::optional<DeviceRecord> record);

    bool loaded() const { return loaded_; }
    std::size_t size() const { return devices_.size(); }

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const {
            return std::hash<std::string_view>{}(key);
        }
    };
    std::unordered_map<std::string, DeviceRecord, Hash, std::equal_to<>> devices_;
    bool loaded_ = false;
};

} // namespace sarang::access
