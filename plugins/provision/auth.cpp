// BASIC_AUTH for the claim identity: username "$provision", password a live factory secret,
// client id one no device can have (it becomes a topic level; core valid_claimant_client_id). Every
// other username is deferred; the access plugin, loaded first, has already answered for devices and
// app users.
//
// Wrong secrets are counted per client address: an address that used up its budget is refused
// before any hashing.
#include "claim_topics.hpp"
#include "provision_plugin.hpp"
#include "sarang/device_kinds.hpp"

namespace sarang::provision {
namespace {

int refuse(ProvisionPlugin& plugin, const char* address, const char* client_id,
           const char* reason) {
    auto now = access::FailureLimiter::Clock::now();
    ++plugin.counters.claimants_refused;
    plugin.limiter.failed(address, now);
    if (std::optional<std::uint64_t> folded = plugin.limiter.log_due(address, now))
        LOG_WARN("provision", "refused claimant %s from %s: %s (%llu similar not logged)",
                 client_id ? client_id : "?", address, reason,
                 static_cast<unsigned long long>(*folded));
    return MOSQ_ERR_AUTH;
}

int authenticate(ProvisionPlugin& plugin, const mosquitto_evt_basic_auth& event) {
    if (event.username == nullptr || std::string_view(event.username) != claim_username)
        return MOSQ_ERR_PLUGIN_DEFER;
    const char* address = mosquitto_client_address(event.client);
    if (address == nullptr)
        address = "?";
    if (plugin.limiter.exhausted(address, access::FailureLimiter::Clock::now())) {
        ++plugin.counters.claimants_refused;
        return MOSQ_ERR_AUTH;
    }
    if (!plugin.secrets_loaded) {
        LOG_WARN("provision", "refusing a claimant: factory secrets not loaded yet");
        return MOSQ_ERR_UNKNOWN; // no CONNACK: the device retries
    }
    const char* client_id = mosquitto_client_id(event.client);
    // The client id keys the claimant's topics (its alphabet keeps it one level) and must be one
    // no device can have: a claimant never takes over a device's session.
    if (client_id == nullptr || !valid_claimant_client_id(client_id))
        return refuse(plugin, address, client_id,
                      "client id must be 1-64 of A-Z a-z 0-9 _ - : with a ':' (boot:<MAC>)");
    const FactorySecret* secret = plugin.matching_secret(event.password);
    if (secret == nullptr)
        return refuse(plugin, address, client_id, "not a live factory secret");
    ++plugin.counters.claimants_accepted;
    plugin.claimants.insert_or_assign(
        event.client, Claimant{plugin.next_serial++, client_id, address, secret->id, 0, false});
    LOG_INFO("provision", "claimant %s connected from %s (factory secret %lld)", client_id, address,
             secret->id);
    return MOSQ_ERR_SUCCESS;
}

} // namespace

int on_basic_auth(int, void* event_data, void* userdata) {
    return plugin::guarded("provision", MOSQ_ERR_AUTH, [&] {
        return authenticate(*static_cast<ProvisionPlugin*>(userdata),
                            *static_cast<mosquitto_evt_basic_auth*>(event_data));
    });
}

} // namespace sarang::provision
