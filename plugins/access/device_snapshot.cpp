#include "device_snapshot.hpp"

namespace sarang::access {
namespace {

bool same_digest(const crypto::Digest& a, const crypto::Digest& b) {
    return crypto::constant_time_equal({reinterpret_cast<const char*>(a.data()), a.size()},
                                       {reinterpret_cast<const char*>(b.data()), b.size()});
}

} // namespace

CredentialMatch match_credential(const DeviceRecord& device, const crypto::Digest& presented,
                                 WallClock::time_point now) {
    static const crypto::Digest none{};
    bool current = same_digest(device.credential_hash.value_or(none), presented) &&
                   device.credential_hash.has_value();
    bool previous = same_digest(device.previous_hash.value_or(none), presented) &&
                    device.previous_hash.has_value() && now < device.previous_expires_at;
    if (current)
        return CredentialMatch::current;
    return previous ? CredentialMatch::previous : CredentialMatch::none;
}

bool session_still_valid(const DeviceRecord* device, const Session& session,
                         WallClock::time_point now) {
    return device != nullptr && !device->revoked() && device->kind != nullptr &&
           device->kind_name == session.kind_name && device->topic_prefix == session.topic_prefix &&
           match_credential(*device, session.credential, now) != CredentialMatch::none;
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
    std::vector<std::string> changed;
    for (const auto& [id, before] : devices_) {
        auto after = next.find(id);
        if (after == next.end() || !(after->second == before))
            changed.push_back(id);
    }
    devices_ = std::move(next);
    loaded_ = true;
    return changed;
}

std::vector<std::string> DeviceSnapshot::update(const std::string& id,
                                                std::optional<DeviceRecord> record) {
    std::vector<std::string> changed;
    auto existing = devices_.find(id);
    if (existing != devices_.end() && (!record || !(*record == existing->second)))
        changed.push_back(id);
    if (record)
        devices_.insert_or_assign(id, std::move(*record));
    else if (existing != devices_.end())
        devices_.erase(existing);
    return changed;
}

} // namespace sarang::access
