// BASIC_AUTH: a device is username = device id, password = its credential token, and (unless
// sarang.conf says otherwise) client id = device id so nobody can take over its session.
// Answers from the snapshot only; an unknown username is deferred to the other plugins.
#include "access_plugin.hpp"
#include "sarang/credentials.hpp"

#include <cstring>

namespace sarang::access {
namespace {

int authenticate(AccessPlugin& plugin, const mosquitto_evt_basic_auth& event) {
    if (event.username == nullptr)
        return MOSQ_ERR_PLUGIN_DEFER;
    std::string_view username(event.username);
    if (!plugin.devices.loaded()) {
        // Fail loudly: dropping the connection without CONNACK makes the device retry, where
        // "not authorised" would look permanent to it.
        ++plugin.counters.auth_unavailable;
        LOG_WARN("access", "refusing %s: device list not loaded yet", event.username);
        return MOSQ_ERR_UNKNOWN;
    }
    const DeviceRecord* device = plugin.devices.find(username);
    if (device == nullptr)
        return MOSQ_ERR_PLUGIN_DEFER;

    const char* refusal = nullptr;
    const char* client_id = mosquitto_client_id(event.client);
    if (device->revoked())
        refusal = "device revoked";
    else if (device->kind == nullptr)
        refusal = "unknown device kind";
    else if (!device->credential_hash)
        refusal = "device has no credential";
    else if (plugin.settings.require_client_id_match &&
             (client_id == nullptr || username != client_id))
        refusal = "client id differs from device id";
    else if (event.password == nullptr ||
             !credential_matches(plugin.settings.pepper, event.password, *device->credential_hash))
        refusal = "wrong credential";

    if (refusal != nullptr) {
        ++plugin.counters.auth_refused;
        LOG_WARN("access", "refused %s from %s: %s", event.username,
                 mosquitto_client_address(event.client), refusal);
        return MOSQ_ERR_AUTH;
    }
    ++plugin.counters.auth_accepted;
    LOG_DEBUG("access", "accepted %s", event.username);
    return MOSQ_ERR_SUCCESS;
}

} // namespace

int on_basic_auth(int, void* event_data, void* userdata) {
    return plugin::guarded("access", MOSQ_ERR_AUTH, [&] {
        return authenticate(*static_cast<AccessPlugin*>(userdata),
                            *static_cast<mosquitto_evt_basic_auth*>(event_data));
    });
}

} // namespace sarang::access
