// ACL_CHECK for claimants: publish (never retained) to their own request topic, subscribe to
// and receive their own response topic, nothing else. Other clients are deferred.
#include "claim_topics.hpp"
#include "provision_plugin.hpp"

namespace sarang::provision {
namespace {

bool allowed(const Claimant& claimant, const mosquitto_evt_acl_check& event) {
    std::string_view topic = event.topic ? event.topic : "";
    switch (event.access) {
    case MOSQ_ACL_WRITE:
        return !event.retain && is_request_topic(topic, claimant.client_id);
    case MOSQ_ACL_SUBSCRIBE:
    case MOSQ_ACL_READ:
        return is_response_topic(topic, claimant.client_id);
    case MOSQ_ACL_UNSUBSCRIBE:
        return true; // can only reduce what it receives
    default:
        return false;
    }
}

int check(ProvisionPlugin& plugin, const mosquitto_evt_acl_check& event) {
    auto found = plugin.claimants.find(event.client);
    if (found == plugin.claimants.end())
        return MOSQ_ERR_PLUGIN_DEFER;
    if (allowed(found->second, event))
        return MOSQ_ERR_SUCCESS;
    ++plugin.counters.acl_denied;
    auto now = access::FailureLimiter::Clock::now();
    if (std::optional<std::uint64_t> folded =
            plugin.denial_log.log_due(found->second.client_id, now))
        LOG_WARN("provision", "denied claimant %s access %d to '%s' (%llu more not logged)",
                 found->second.client_id.c_str(), event.access, event.topic ? event.topic : "",
                 static_cast<unsigned long long>(*folded));
    return MOSQ_ERR_ACL_DENIED;
}

} // namespace

int on_acl_check(int, void* event_data, void* userdata) {
    // Only SUCCESS, DENIED or DEFER: any other code on a READ check disconnects the publisher.
    return plugin::guarded("provision", MOSQ_ERR_ACL_DENIED, [&] {
        return check(*static_cast<ProvisionPlugin*>(userdata),
                     *static_cast<mosquitto_evt_acl_check*>(event_data));
    });
}

} // namespace sarang::provision
