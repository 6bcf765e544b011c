// Publishing verdicts and unlocks, on the broker thread (TICK drains the mailbox).
//
// Targeted at the lock's client id (mosquitto_broker_publish_copy with a client id): straight
// into that session's queue, so no other client can subscribe to a verdict. Only while the
// connection that asked is still there (`askers`): the access plugin lets nobody else take a
// lock's client id, and this makes sure of it again. A lock that has gone meanwhile gets
// nothing; its keypad asks again.
#include "doorlock_plugin.hpp"

namespace sarang::doorlock {

void publish_all(DoorlockPlugin& plugin, const std::vector<Outgoing>& publishes) {
    for (const Outgoing& out : publishes) {
        auto asker = plugin.askers.find(out.connection);
        if (asker == plugin.askers.end() || asker->second != out.serial) {
            if (std::uint64_t count = plugin::count_for_log(plugin.counters.asker_gone, 100))
                LOG_INFO("doorlock",
                         "dropped a publish to %s: the asking connection is gone"
                         " (%llu so far)",
                         out.client_id.c_str(), static_cast<unsigned long long>(count));
            continue;
        }
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
