// MESSAGE: copy a device's reading off the broker thread. No parsing and no I/O here.
//
// A full queue disconnects the publisher instead of dropping the message: the broker then sends
// no PUBACK, and a device with a persistent session resends after reconnecting. ACL_DENIED would
// be wrong, because MQTT 3.1.1 devices would get a normal PUBACK and believe it was stored.
#include "telemetry_plugin.hpp"

namespace sarang::telemetry {
namespace {

bool is_readings_topic(std::string_view topic) {
    for (const KindSpec& kind : all_kinds()) {
        std::string_view subtopic = kind.readings_subtopic;
        if (!subtopic.empty() && topic.size() > subtopic.size() && topic.ends_with(subtopic) &&
            topic[topic.size() - subtopic.size() - 1] == '/')
            return true;
    }
    return false;
}

int copy_reading(TelemetryPlugin& plugin, const mosquitto_evt_message& event) {
    // The topic first: most messages are not readings, and it is already at hand.
    if (event.topic == nullptr || !is_readings_topic(event.topic))
        return MOSQ_ERR_SUCCESS;
    const char* username = mosquitto_client_username(event.client);
    if (username == nullptr)
        return MOSQ_ERR_SUCCESS;
    RawMessage message{
        username,
        event.topic,
        std::string(static_cast<const char*>(event.payload), event.payload ? event.payloadlen : 0),
        std::chrono::system_clock::now(),
    };
    if (!plugin.queue.try_push(std::move(message))) {
        std::uint64_t refused = ++plugin.counters.refused_queue_full;
        if (refused == 1 || refused % 1000 == 0)
            LOG_WARN("telemetry", "queue full (%zu); disconnecting %s (%llu refused so far)",
                     plugin.queue.capacity(), username, static_cast<unsigned long long>(refused));
        return MOSQ_ERR_NOMEM;
    }
    ++plugin.counters.queued;
    return MOSQ_ERR_SUCCESS;
}

} // namespace

int on_message(int, void* event_data, void* userdata) {
    // On an internal failure the message is not acknowledged either.
    return plugin::guarded("telemetry", MOSQ_ERR_UNKNOWN, [&] {
        return copy_reading(*static_cast<TelemetryPlugin*>(userdata),
                            *static_cast<mosquitto_evt_message*>(event_data));
    });
}

} // namespace sarang::telemetry
