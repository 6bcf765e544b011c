#pragma once
// Which connections the access plugin admitted, keyed by the broker's connection pointer (an
// opaque key, never dereferenced), and from that which devices are online.
//
// A device is online while it has at least one admitted connection. That makes the broker's
// awkward orders harmless: on a session takeover the new connection's BASIC_AUTH comes before
// the old one's DISCONNECT, so the count goes 1 -> 2 -> 1 and the device never looks offline;
// a second DISCONNECT for a durable session, or one for a connection that failed auth, names a
// pointer that is not here and is ignored. Broker thread only.
#include "device_snapshot.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sarang::access {

class SessionRegistry {
  public:
    struct Opened {
        bool now_online = false;                 // the device went from offline to online
        std::optional<std::string> went_offline; // a reused pointer's previous device, if that
                                                 // was its last connection (should not happen)
    };
    // Admitting a connection that is already here (SIGHUP re-authenticates every session)
    // updates it without an event.
    Opened opened(const void* connection, Session session);
    // Returns the device id when its last connection closed; nullopt otherwise. The session
    // stays findable until forget_closed(): mosquitto checks a client's will against the ACL
    // after its DISCONNECT event.
    std::optional<std::string> closed(const void* connection);
    // Broker thread, in TICK: drops the sessions closed since the last call. The broker frees
    // a closed connection only at the start of its next loop, after TICK, so no pointer is
    // reused while its closed session is still findable.
    void forget_closed();

    const Session* find(const void* connection) const;

    // What an ACL check needs, kept apart from the sessions in small nodes: the check runs for
    // every message, and with many thousands of connections the big Session nodes miss the
    // cache. Present while the session is findable (live or closing).
    struct AclEntry {
        const KindSpec* kind = nullptr;
        std::string topic_prefix;
    };
    const AclEntry* acl_entry(const void* connection) const {
        auto entry = acl_.find(connection);
        return entry == acl_.end() ? nullptr : &entry->second;
    }
    // Connections of one device (empty when offline).
    std::vector<const void*> connections_of(const std::string& device_id) const;
    // Connections admitted with a credential other than the device's current one at the time.
    const std::unordered_map<const void*, std::string>& on_previous_credential() const {
        return on_previous_;
    }
    void mark_previous_credential(const void* connection, bool on_previous);

    std::size_t connection_count() const { return sessions_.size(); }
    std::size_t online_device_count() const { return by_device_.size(); }

  private:
    std::unordered_map<const void*, Session> sessions_;
    std::unordered_map<std::string, std::vector<const void*>> by_device_;
    std::unordered_map<const void*, std::string> on_previous_;
    std::unordered_map<const void*, Session> closing_;
    std::unordered_map<const void*, AclEntry> acl_;
};

} // namespace sarang::access
