// MESSAGE: a claimant's registration request is copied into the registrar's queue, nothing
// more; the answer comes back through the mailbox. DISCONNECT forgets the claimant, so an
// answer for a connection that is gone (or whose client id was taken over) is dropped.
#include "claim_topics.hpp"
#include "provision_plugin.hpp"

namespace sarang::provision {
namespace {

// Refusals are answered from TICK too, like every other answer.
void refuse_later(ProvisionPlugin& plugin, const void* connection, std::uint64_t serial,
                  const std::string& client_id, const char* code, const char* message) {
    std::uint64_t count = ++plugin.counters.requests_refused;
    plugin.refusals.add(client_id, code, message, {});
    if (std::optional<std::uint64_t> folded = plugin.refusal_log.due(client_id, code))
        LOG_WARN("provision",
                 "refused a request from claimant %s: %s (%llu so far, %llu since the last line)",
                 client_id.c_str(), code, static_cast<unsigned long long>(count),
                 static_cast<unsigned long long>(*folded));
    plugin.mailbox.post([&plugin, connection, serial, answer = error_answer(code, message)] {
        plugin.answer(connection, serial, answer);
    });
}

int take_request(ProvisionPlugin& plugin, const mosquitto_evt_message& event) {
    auto found = plugin.claimants.find(event.client);
    if (found == plugin.claimants.end() || event.topic == nullptr)
        return MOSQ_ERR_SUCCESS; // not ours
    Claimant& claimant = found->second;
    if (!is_request_topic(event.topic, claimant.client_id))
        return MOSQ_ERR_SUCCESS; // the ACL already refused anything else
    ++plugin.counters.requests;
    if (claimant.in_flight) {
        // A QoS 1 redelivery or an impatient device: one answer per request in flight.
        return MOSQ_ERR_SUCCESS;
    }
    if (claimant.requests >= plugin.settings.requests_per_connection) {
        refuse_later(plugin, event.client, claimant.serial, claimant.client_id, "too_many_requests",
                     "too many requests on this connection; reconnect");
        return MOSQ_ERR_SUCCESS;
    }
    if (event.payload == nullptr || event.payloadlen <= 0 ||
        static_cast<std::size_t>(event.payloadlen) > max_request_bytes) {
        refuse_later(plugin, event.client, claimant.serial, claimant.client_id, "invalid_request",
                     "the request must be a JSON object of at most 1024 bytes");
        return MOSQ_ERR_SUCCESS;
    }
    Job job{event.client,
            claimant.serial,
            claimant.client_id,
            claimant.address,
            claimant.secret_id,
            std::string(static_cast<const char*>(event.payload),
                        static_cast<std::size_t>(event.payloadlen))};
    if (!plugin.requests.try_push(std::move(job))) {
        refuse_later(plugin, event.client, claimant.serial, claimant.client_id, "busy",
                     "provisioning is busy; retry in a few seconds");
        return MOSQ_ERR_SUCCESS;
    }
    ++claimant.requests;
    claimant.in_flight = true;
    return MOSQ_ERR_SUCCESS;
}

} // namespace

int on_message(int, void* event_data, void* userdata) {
    // A failure here must not drop other plugins' messages: SUCCESS lets the chain go on.
    return plugin::guarded("provision", MOSQ_ERR_SUCCESS, [&] {
        return take_request(*static_cast<ProvisionPlugin*>(userdata),
                            *static_cast<mosquitto_evt_message*>(event_data));
    });
}

int on_disconnect(int, void* event_data, void* userdata) {
    return plugin::guarded("provision", MOSQ_ERR_SUCCESS, [&] {
        auto& plugin = *static_cast<ProvisionPlugin*>(userdata);
        plugin.claimants.erase(static_cast<mosquitto_evt_disconnect*>(event_data)->client);
        return MOSQ_ERR_SUCCESS;
    });
}

} // namespace sarang::provision
