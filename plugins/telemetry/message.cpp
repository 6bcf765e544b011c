// MESSAGE: journal a device's data message. No parsing, no PostgreSQL, no fsync here: the
// record is stored into the journal segment's shared mapping, i.e. the page cache, which
// survives a crash of the broker (journal.hpp).
//
// When the journal cannot take the message (full, or the disk refuses), the publisher is
// disconnected instead of acknowledged: the broker then sends no PUBACK, and a device with a
// persistent session resends after reconnecting. ACL_DENIED would be wrong, because MQTT 3.1.1
// devices would get a normal PUBACK and believe it was stored.
#include "telemetry_plugin.hpp"

namespace sarang::telemetry {
namespace {

void log_refusal(TelemetryPlugin& plugin, std::atomic<std::uint64_t>& counter, const char* reason,
                 const char* device, std::string_view payload) {
    std::uint64_t count = ++counter;
    plugin.broker_refusals.add(device, reason, "the broker could not journal it; disconnected",
                               payload);
    if (plugin.rejection_log.due(device, reason))
        LOG_WARN("telemetry", "%s; disconnecting %s (%llu so far)", reason, device,
                 static_cast<unsigned long long>(count));
}

int journal_message(TelemetryPlugin& plugin, const mosquitto_evt_message& event) {
    // The topic first: most messages that are not data are recognised without a lookup.
    if (event.topic == nullptr || !may_be_data_topic(event.topic))
        return MOSQ_ERR_SUCCESS;
    const char* username = mosquitto_client_username(event.client);
    if (username == nullptr)
        return MOSQ_ERR_SUCCESS;
    std::string_view payload(static_cast<const char*>(event.payload),
                             event.payload ? event.payloadlen : 0);
    if (payload.size() > max_data_payload) {
        // Would be rejected by the writer anyway; acknowledged so the device does not resend.
        ++plugin.counters.oversized;
        plugin.broker_refusals.add(username, "oversized",
                                   "payload of " + std::to_string(payload.size()) +
                                       " bytes, over " + std::to_string(max_data_payload),
                                   payload);
        if (std::optional<std::uint64_t> folded = plugin.rejection_log.due(username, "oversized"))
            LOG_WARN("telemetry",
                     "rejected message from %s on '%s': payload of %zu bytes (oversized; %llu "
                     "more since the last line)",
                     username, event.topic, payload.size(),
                     static_cast<unsigned long long>(*folded));
        return MOSQ_ERR_SUCCESS;
    }
    switch (
        plugin.journal.append(username, event.topic, payload, std::chrono::system_clock::now())) {
    case Journal::Append::stored:
        ++plugin.counters.journaled;
        return MOSQ_ERR_SUCCESS;
    case Journal::Append::full:
        log_refusal(plugin, plugin.counters.refused_journal_full, "journal_full", username,
                    payload);
        return MOSQ_ERR_NOMEM;
    case Journal::Append::failed:
        break;
    }
    log_refusal(plugin, plugin.counters.journal_errors, "journal_write_failed", username, payload);
    return MOSQ_ERR_NOMEM;
}

} // namespace

int on_message(int, void* event_data, void* userdata) {
    // On an internal failure the message is not acknowledged either.
    return plugin::guarded("telemetry", MOSQ_ERR_UNKNOWN, [&] {
        return journal_message(*static_cast<TelemetryPlugin*>(userdata),
                               *static_cast<mosquitto_evt_message*>(event_data));
    });
}

} // namespace sarang::telemetry
