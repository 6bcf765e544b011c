#include "device_snapshot.hpp"

namespace sarang::access {

bool access_changed(const DeviceRecord& before, const DeviceRecord* after) {
    return after == nullptr || after->revoked() ||
           after->credential_hash != before.credential_hash ||
           after->topic_prefix != before.topic_prefix || after->kind_name != before.kind_name;
}

const DeviceRecord* DeviceSnapshot::find(std::string_view id) const {
    auto found = devices_.find(id);
    return found == devices_.end() ? nullptr : &found->second;
}

std::vector<std::string> DeviceSnapshot::replace_all(std::vector<DeviceRecord> records) {
    decltype(devices_) next;
    next.reserve(records.size());
    for (DeviceRecord& record : records) {
        std::string id = record.id;
        next.insert_or_assign(std::move(id), std::move(record));
    }
    std::vector<std::string> kick;
    for (const auto& [id, before] : devices_) {
        auto after = next.find(id);
        if (access_changed(before, after == next.end() ? nullptr : &after->second))
            kick.push_back(id);
    }
    devices_ = std::move(next);
    loaded_ = true;
    return kick;
}

std::vector<std::string> DeviceSnapshot::update(const std::string& id,
                                                std::optional<DeviceRecord> record) {
    std::vector<std::string> kick;
    auto existing = devices_.find(id);
    if (existing != devices_.end() && access_changed(existing->second, record ? &*record : nullptr))
        kick.push_back(id);
    if (record)
        devices_.insert_or_assign(id, std::move(*record));
    else if (existing != devices_.end())
        devices_.erase(existing);
    return kick;
}

} // namespace sarang::access
