#include "device_snapshot.hpp"

#include "snapshot_diff.hpp"

namespace sarang::access {

CredentialMatch match_credential(const DeviceRecord& device, const crypto::Digest& presented,
                                 WallClock::time_point now) {
    static const crypto::Digest none{};
    bool current = crypto::constant_time_equal(device.credential_hash.value_or(none), presented) &&
                   device.credential_hash.has_value();
    bool previous = crypto::constant_time_equal(device.previous_hash.value_or(none), presented) &&
                    device.previous_hash.has_value() && now < device.previous_expires_at;
    if (current)
        return CredentialMatch::current;
    return previous ? CredentialMatch::previous : CredentialMatch::none;
}

bool certificate_valid(const DeviceRecord& device, const crypto::Digest& fingerprint,
                       WallClock::time_point now) {
    for (const CertificateRecord& certificate : device.certificates) {
        if (certificate.fingerprint == fingerprint)
            return now < certificate.not_after;
    }
    return false;
}

bool session_still_valid(const DeviceRecord* device, const Session& session,
                         WallClock::time_point now) {
    if (device == nullptr || device->revoked() || device->kind == nullptr ||
        device->kind_name != session.kind_name || device->topic_prefix != session.topic_prefix)
        return false;
    if (session.certificate)
        return certificate_valid(*device, session.credential, now);
    return match_credential(*device, session.credential, now) != CredentialMatch::none;
}

namespace {
std::string_view fingerprint_key(const crypto::Digest& fingerprint) {
    return {reinterpret_cast<const char*>(fingerprint.data()), fingerprint.size()};
}
} // namespace

const DeviceRecord* DeviceSnapshot::find(std::string_view id) const {
    auto found = devices_.find(id);
    return found == devices_.end() ? nullptr : &found->second;
}

const DeviceRecord* DeviceSnapshot::find_by_certificate(const crypto::Digest& fingerprint) const {
    auto found = by_fingerprint_.find(fingerprint_key(fingerprint));
    return found == by_fingerprint_.end() ? nullptr : find(found->second);
}

const std::vector<std::string>& DeviceSnapshot::prefixes_owned_by(long long user_id) const {
    static const std::vector<std::string> none;
    auto found = prefixes_by_owner_.find(user_id);
    return found == prefixes_by_owner_.end() ? none : found->second;
}

bool DeviceSnapshot::under_device_prefix(std::string_view topic) const {
    for (std::size_t slash = topic.find('/'); slash != std::string_view::npos;
         slash = topic.find('/', slash + 1)) {
        if (live_prefixes_.find(topic.substr(0, slash)) != live_prefixes_.end())
            return slash + 1 < topic.size();
    }
    return false;
}

void DeviceSnapshot::index_owner(const DeviceRecord& record) {
    for (const CertificateRecord& certificate : record.certificates)
        by_fingerprint_.insert_or_assign(std::string(fingerprint_key(certificate.fingerprint)),
                                         record.id);
    if (!record.revoked())
        ++live_prefixes_[record.topic_prefix];
    if (record.owner_id && !record.revoked())
        prefixes_by_owner_[*record.owner_id].push_back(record.topic_prefix);
}

void DeviceSnapshot::unindex_owner(const DeviceRecord& record) {
    for (const CertificateRecord& certificate : record.certificates) {
        auto found = by_fingerprint_.find(fingerprint_key(certificate.fingerprint));
        if (found != by_fingerprint_.end() && found->second == record.id)
            by_fingerprint_.erase(found);
    }
    if (auto live = live_prefixes_.find(record.topic_prefix);
        !record.revoked() && live != live_prefixes_.end() && --live->second == 0)
        live_prefixes_.erase(live);
    if (!record.owner_id)
        return;
    auto owned = prefixes_by_owner_.find(*record.owner_id);
    if (owned == prefixes_by_owner_.end())
        return;
    std::erase(owned->second, record.topic_prefix);
    if (owned->second.empty())
        prefixes_by_owner_.erase(owned);
}

std::vector<std::string> DeviceSnapshot::replace_all(std::vector<DeviceRecord> records) {
    decltype(devices_) next;
    next.reserve(records.size());
    for (DeviceRecord& record : records) {
        std::string id = record.id;
        next.insert_or_assign(std::move(id), std::move(record));
    }
    std::vector<std::string> changed = changed_keys(devices_, next);
    devices_ = std::move(next);
    prefixes_by_owner_.clear();
    live_prefixes_.clear();
    by_fingerprint_.clear();
    for (const auto& [id, record] : devices_)
        index_owner(record);
    loaded_ = true;
    return changed;
}

std::vector<std::string> DeviceSnapshot::update(const std::string& id,
                                                std::optional<DeviceRecord> record) {
    std::vector<std::string> changed;
    auto existing = devices_.find(id);
    if (existing != devices_.end() && (!record || !(*record == existing->second)))
        changed.push_back(id);
    if (existing != devices_.end())
        unindex_owner(existing->second);
    if (record) {
        index_owner(*record);
        devices_.insert_or_assign(id, std::move(*record));
    } else if (existing != devices_.end()) {
        devices_.erase(existing);
    }
    return changed;
}

} // namespace sarang::access
