#include "session_registry.hpp"

#include <algorithm>

namespace sarang::access {

SessionRegistry::Opened SessionRegistry::opened(const void* connection, Session session) {
    Opened result;
    closing_.erase(connection);
    auto existing = sessions_.find(connection);
    if (existing != sessions_.end()) {
        if (existing->second.device_id == session.device_id) {
            acl_.insert_or_assign(connection, AclEntry{session.kind, session.topic_prefix});
            existing->second = std::move(session);
            return result;
        }
        result.went_offline = closed(connection); // a reused pointer we never saw close
        closing_.erase(connection);
    }
    std::vector<const void*>& connections = by_device_[session.device_id];
    connections.push_back(connection);
    acl_.insert_or_assign(connection, AclEntry{session.kind, session.topic_prefix});
    sessions_.emplace(connection, std::move(session));
    result.now_online = connections.size() == 1;
    return result;
}

std::optional<std::string> SessionRegistry::closed(const void* connection) {
    auto session = sessions_.find(connection);
    if (session == sessions_.end())
        return std::nullopt;
    std::string device_id = session->second.device_id;
    closing_.insert_or_assign(connection, std::move(session->second));
    sessions_.erase(session);
    on_previous_.erase(connection);
    auto device = by_device_.find(device_id);
    if (device == by_device_.end())
        return std::nullopt;
    std::erase(device->second, connection);
    if (!device->second.empty())
        return std::nullopt;
    by_device_.erase(device);
    return device_id;
}

void SessionRegistry::forget_closed() {
    for (const auto& [connection, session] : closing_)
        acl_.erase(connection);
    closing_.clear();
}

const Session* SessionRegistry::find(const void* connection) const {
    if (auto session = sessions_.find(connection); session != sessions_.end())
        return &session->second;
    auto closing = closing_.find(connection);
    return closing == closing_.end() ? nullptr : &closing->second;
}

std::vector<const void*> SessionRegistry::connections_of(const std::string& device_id) const {
    auto device = by_device_.find(device_id);
    return device == by_device_.end() ? std::vector<const void*>{} : device->second;
}

void SessionRegistry::mark_previous_credential(const void* connection, bool on_previous) {
    auto session = sessions_.find(connection);
    if (on_previous && session != sessions_.end())
        on_previous_.insert_or_assign(connection, session->second.device_id);
    else
        on_previous_.erase(connection);
}

} // namespace sarang::access
