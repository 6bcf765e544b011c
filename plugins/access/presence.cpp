// DISCONNECT: the connection, not the client id, decides presence (see session_registry.hpp),
// and an app or integration connection is forgotten.
// There is no CONNECT event in 2.0; auth.cpp records "online" when it admits a connection.
#include "access_plugin.hpp"

namespace sarang::access {

int on_disconnect(int, void* event_data, void* userdata) {
    return plugin::guarded("access", MOSQ_ERR_SUCCESS, [&] {
        auto& plugin = *static_cast<AccessPlugin*>(userdata);
        auto& event = *static_cast<mosquitto_evt_disconnect*>(event_data);
        if (std::optional<std::string> offline = plugin.sessions.closed(event.client))
            plugin.presence.record({std::move(*offline), false, WallClock::now(), {}});
        plugin.app_connections.erase(event.client);
        plugin.integration_connections.erase(event.client);
        return MOSQ_ERR_SUCCESS;
    });
}

} // namespace sarang::access
