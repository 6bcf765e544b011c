// ACL_CHECK for devices: their own prefix, their kind's directions (core/topic_rules); app users
// and integrations: read-only (docs/identity-and-acl.md, docs/integrations.md). Clients this
// plugin did not admit are deferred to the other plugins; if all defer the broker denies.
#include "access_plugin.hpp"
#include "sarang/topic_rules.hpp"

namespace sarang::access {
namespace {

std::optional<Access> access_of(int mosquitto_access) {
    switch (mosquitto_access) {
    case MOSQ_ACL_READ:
        return Access::read;
    case MOSQ_ACL_WRITE:
        return Access::write;
    case MOSQ_ACL_SUBSCRIBE:
        return Access::subscribe;
    case MOSQ_ACL_UNSUBSCRIBE:
        return Access::unsubscribe;
    default:
        return std::nullopt;
    }
}

int deny(AccessPlugin& plugin, const mosquitto_evt_acl_check& event) {
    const char* username = mosquitto_client_username(event.client);
    if (username == nullptr)
        username = "?";
    ++plugin.counters.acl_denied;
    // A client retrying a forbidden topic must not turn into a log write per attempt.
    if (std::optional<std::uint64_t> folded =
            plugin.denial_log.log_due(username, FailureLimiter::Clock::now()))
        LOG_INFO("access", "denied %s access %d to '%s' (%llu more denials since the last line)",
                 username, event.access, event.topic ? event.topic : "",
                 static_cast<unsigned long long>(*folded));
    return MOSQ_ERR_ACL_DENIED;
}

// App users: read-only under the prefixes of the devices they own, looked up live, so a
// device that changes owner stops reaching the old owner's subscriptions at once.
// An admin (looked up live, so a demotion applies at once) reads every device's topics.
int check_app_user(AccessPlugin& plugin, const AppConnection& connection,
                   const mosquitto_evt_acl_check& event) {
    std::optional<Access> access = access_of(event.access);
    if (!access || event.topic == nullptr)
        return deny(plugin, event);
    if (owner_may(plugin.devices.prefixes_owned_by(connection.user_id), *access, event.topic))
        return MOSQ_ERR_SUCCESS;
    const AppUser* user = plugin.app_users.find(connection.user_id);
    if (user != nullptr && user->admin &&
        admin_may(*access == Access::read && plugin.devices.under_device_prefix(event.topic),
                  *access, event.topic))
        return MOSQ_ERR_SUCCESS;
    return deny(plugin, event);
}

// Integrations: read-only within their filters, looked up live (a revoked one is already gone
// from the snapshot, and its connections are kicked in the same TICK).
int check_integration(AccessPlugin& plugin, const IntegrationConnection& connection,
                      const mosquitto_evt_acl_check& event) {
    std::optional<Access> access = access_of(event.access);
    const Integration* integration = plugin.integrations.find(connection.name);
    if (access && event.topic != nullptr && integration != nullptr &&
        integration_may(integration->read_filters, *access, event.topic))
        return MOSQ_ERR_SUCCESS;
    return deny(plugin, event);
}

int check(AccessPlugin& plugin, const mosquitto_evt_acl_check& event) {
    // Keyed by the connection this plugin admitted: a pointer lookup in small nodes. The entry
    // carries kind and prefix; any change to them, or a revocation, kicks the session from TICK
    // before another check runs, so they never go stale.
    const SessionRegistry::AclEntry* entry = plugin.sessions.acl_entry(event.client);
    if (entry == nullptr) {
        auto app = plugin.app_connections.find(event.client);
        if (app != plugin.app_connections.end())
            return check_app_user(plugin, app->second, event);
        auto integration = plugin.integration_connections.find(event.client);
        if (integration != plugin.integration_connections.end())
            return check_integration(plugin, integration->second, event);
        return MOSQ_ERR_PLUGIN_DEFER;
    }
    std::optional<Access> access = access_of(event.access);
    if (access && entry->kind != nullptr && event.topic != nullptr &&
        device_may(*entry->kind, entry->topic_prefix, *access, event.topic))
        return MOSQ_ERR_SUCCESS;
    return deny(plugin, event);
}

} // namespace

int on_acl_check(int, void* event_data, void* userdata) {
    // Only SUCCESS, DENIED or DEFER: any other code on a READ check disconnects the publisher.
    return plugin::guarded("access", MOSQ_ERR_ACL_DENIED, [&] {
        return check(*static_cast<AccessPlugin*>(userdata),
                     *static_cast<mosquitto_evt_acl_check*>(event_data));
    });
}

} // namespace sarang::access
