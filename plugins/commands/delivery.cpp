// Publishing claimed commands, on the broker thread (TICK drains the mailbox).
//
// The publish is targeted at the device's client id (mosquitto_broker_publish_copy with a
// client id): it goes straight into that session's queue, needs no subscription and skips the
// READ check (the topic is the device's own command topic anyway). When no session with that id
// exists on this node the broker drops it silently; the command then stays sent and is sent
// again when the device's next connection is recorded (dispatcher.cpp), or expires.
#include "commands_plugin.hpp"

namespace sarang::commands {

void publish_deliveries(CommandsPlugin& plugin, const std::vector<Delivery>& deliveries) {
    for (const Delivery& delivery : deliveries) {
        // QoS 1: the broker retries within the session; the outbox retries across sessions.
        int rc = mosquitto_broker_publish_copy(delivery.client_id.c_str(), delivery.topic.c_str(),
                                               static_cast<int>(delivery.payload.size()),
                                               delivery.payload.data(), 1, false, nullptr);
        if (rc == MOSQ_ERR_SUCCESS) {
            ++plugin.counters.published;
            LOG_DEBUG("commands", "published command %s to %s on %s", delivery.command_id.c_str(),
                      delivery.client_id.c_str(), delivery.topic.c_str());
        } else {
            // Stays sent: a resend follows the device's next connection, else its deadline.
            ++plugin.counters.publish_failed;
            LOG_WARN("commands", "publishing command %s to %s failed: %d",
                     delivery.command_id.c_str(), delivery.client_id.c_str(), rc);
        }
    }
}

} // namespace sarang::commands
