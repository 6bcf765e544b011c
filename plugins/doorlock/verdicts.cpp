// Publishing verdicts and unlocks, on the broker thread (TICK drains the mailbox).
//
// Targeted at the lock's client id (mosquitto_broker_publish_copy with a client id): straight
// into that session's queue, so no other client can subscribe to a verdict. A lock that has
// gone meanwhile gets nothing; its keypad asks again.
#include "doorlock_plugin.hpp"

namespace sarang::doorlock {

void publish_all(DoorlockPlugin& plugin, const std::vector<Outgoing>& publishes) {
    for (const Outgoing& out : publishes) {
        int rc = mosquitto_broker_publish_copy(out.client_id.c_str(), out.topic.c_str(),
                                               static_cast<int>(out.payload.size()),
                                               out.payload.data(), 1, false, nullptr);
        if (rc == MOSQ_ERR_SUCCESS) {
            ++plugin.counters.published;
        } else {
            ++plugin.counters.publish_failed;
            LOG_WARN("doorlock", "publishing to %s on %s failed: %d", out.client_id.c_str(),
                     out.topic.c_str(), rc);
        }
    }
}

} // namespace sarang::doorlock
