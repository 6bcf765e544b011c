// MESSAGE: copy a device's answer to a command (an ack or result topic of some kind) off the
// broker thread. No parsing, no PostgreSQL: a topic filter, two string copies and a push.
//
// When the queue is full the device is disconnected instead of acknowledged (as the telemetry
// plugin does): the broker sends no PUBACK and a device with a persistent session resends.
// ACL_DENIED would be wrong: an MQTT 3.1.1 device would get a normal PUBACK.
#include "commands_plugin.hpp"
#include "sarang/device_kinds.hpp"

namespace sarang::commands {

bool counts_refusals(const KindSpec& kind, std::string_view ack_subtopic) {
    return kind.data_topic(ack_subtopic) == nullptr && ack_subtopic != "dispense_result";
}

bool counts_refusals(std::string_view topic) {
    bool any = false;
    for (const KindSpec& kind : all_kinds()) {
        for (const CommandTopic& command : kind.commands) {
            std::string_view ack = command.ack_subtopic;
            if (ack.empty() || !topic.ends_with(ack) ||
                (topic.size() > ack.size() && topic[topic.size() - ack.size() - 1] != '/'))
                continue;
            if (!counts_refusals(kind, ack))
                return false;
            any = true;
        }
    }
    return any;
}

namespace {

int copy_answer(CommandsPlugin& plugin, const mosquitto_evt_message& event) {
    if (event.topic == nullptr || !may_be_ack_topic(event.topic))
        return MOSQ_ERR_SUCCESS;
    // Devices publish under their username (the access plugin binds the two); app users are
    // read-only, so a publisher with a username here is a device.
    const char* username = mosquitto_client_username(event.client);
    if (username == nullptr)
        return MOSQ_ERR_SUCCESS;
    std::size_t size = event.payload ? event.payloadlen : 0;
    if (size > max_answer_bytes) {
        std::uint64_t count = ++plugin.counters.answers_oversized;
        if (counts_refusals(event.topic))
            plugin.refusals.add(username, "oversized",
                                "answer of " + std::to_string(size) + " bytes (at most " +
                                    std::to_string(max_answer_bytes) + ")",
                                {static_cast<const char*>(event.payload), size});
        if (plugin.refusal_log.due(username, "oversized"))
            LOG_WARN("commands", "ignored answer from %s on '%s': %zu bytes (%llu so far)",
                     username, event.topic, size, static_cast<unsigned long long>(count));
        return MOSQ_ERR_SUCCESS;
    }
    Answer answer{username, event.topic,
                  std::string(static_cast<const char*>(event.payload), size)};
    if (plugin.answers.try_push(std::move(answer))) {
        ++plugin.counters.answers_queued;
        return MOSQ_ERR_SUCCESS;
    }
    std::uint64_t count = ++plugin.counters.answers_refused;
    if (counts_refusals(event.topic))
        plugin.refusals.add(username, "queue_full",
                            "answer queue full; the device was disconnected",
                            {static_cast<const char*>(event.payload), size});
    if (plugin.refusal_log.due(username, "queue_full"))
        LOG_WARN("commands", "answer queue full; disconnecting %s (%llu so far)", username,
                 static_cast<unsigned long long>(count));
    return MOSQ_ERR_NOMEM;
}

} // namespace

int on_message(int, void* event_data, void* userdata) {
    return plugin::guarded("commands", MOSQ_ERR_UNKNOWN, [&] {
        return copy_answer(*static_cast<CommandsPlugin*>(userdata),
                           *static_cast<mosquitto_evt_message*>(event_data));
    });
}

} // namespace sarang::commands
