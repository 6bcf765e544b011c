// MESSAGE: copy a lock's keypad attempt off the broker thread, with the connection that sent it,
// then redact it (and copy a lock's own alert, as it is). DISCONNECT forgets that connection. A
// suffix compare, a few string copies and a push; parsing, PostgreSQL and argon2id happen in the
// checker.
//
// When the queue is full the lock is disconnected instead of acknowledged (as the other plugins
// do): no PUBACK, so a lock with a persistent session resends.
#include "doorlock_plugin.hpp"
#include "sarang/door_pin.hpp"

#include <string_view>

namespace sarang::doorlock {
namespace {

constexpr std::string_view attempt_suffix = "/pin/attempt";
constexpr std::string_view alert_suffix = "/alert";

// After the copy, the broker still routes the message to subscribers of the topic (the owner's
// app session may read the lock's prefix) and keeps it if it is retained. The PIN must reach
// neither: the message goes on as a fixed stand-in, never retained. The broker frees the
// original payload and adopts this one (plugin facts, "MESSAGE modification rules").
bool redact(mosquitto_evt_message& event) {
    static constexpr std::string_view stand_in = R"({"pin":"redacted"})";
    auto* copy = static_cast<char*>(mosquitto_malloc(stand_in.size() + 1));
    if (copy == nullptr)
        return false;
    stand_in.copy(copy, stand_in.size());
    copy[stand_in.size()] = '\0'; // payloads are NUL-terminated for plugins that read text
    event.payload = copy;
    event.payloadlen = static_cast<std::uint32_t>(stand_in.size());
    event.retain = false;
    return true;
}

int copy_attempt(DoorlockPlugin& plugin, mosquitto_evt_message& event) {
    if (event.topic == nullptr)
        return MOSQ_ERR_SUCCESS;
    std::string_view topic(event.topic);
    bool alert = topic.ends_with(alert_suffix);
    if (!alert && !topic.ends_with(attempt_suffix))
        return MOSQ_ERR_SUCCESS;
    // Devices publish under their username (the access plugin binds username, client id and
    // prefix), so the username names the lock.
    const char* username = mosquitto_client_username(event.client);
    const char* client_id = mosquitto_client_id(event.client);
    if (username == nullptr || client_id == nullptr)
        return MOSQ_ERR_SUCCESS;
    std::size_t size = event.payload ? event.payloadlen : 0;
    if (size > door::max_attempt_bytes) {
        if (alert)
            return MOSQ_ERR_SUCCESS; // stored by telemetry all the same; too big to notify
        std::uint64_t count = ++plugin.counters.oversized;
        plugin.refusals.add(username, "oversized",
                            "attempt of " + std::to_string(size) + " bytes (at most " +
                                std::to_string(door::max_attempt_bytes) + ")",
                            {});
        if (plugin.refusal_log.due(username, "oversized"))
            LOG_WARN("doorlock", "ignored attempt from %s: %zu bytes (%llu so far)", username, size,
                     static_cast<unsigned long long>(count));
        return redact(event) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_NOMEM;
    }
    const char* address = mosquitto_client_address(event.client);
    Attempt attempt{alert,
                    username,
                    client_id,
                    event.topic,
                    std::string(static_cast<const char*>(event.payload), size),
                    address ? address : "",
                    event.client,
                    0};
    if (!alert) {
        auto [asker, added] = plugin.askers.try_emplace(event.client, plugin.next_serial);
        if (added)
            ++plugin.next_serial;
        attempt.serial = asker->second;
    }
    if (plugin.attempts.try_push(std::move(attempt))) {
        if (alert)
            return MOSQ_ERR_SUCCESS;
        ++plugin.counters.queued;
        // Without memory for the stand-in, disconnecting beats routing the PIN; the lock
        // resends and its repeated attemptId gets the checked verdict again.
        return redact(event) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_NOMEM;
    }
    // A lock's own alert is history too (telemetry keeps it): not worth a disconnect.
    if (alert)
        return MOSQ_ERR_SUCCESS;
    std::uint64_t count = ++plugin.counters.refused;
    plugin.refusals.add(username, "queue_full", "attempt queue full; the lock was disconnected",
                        {});
    if (plugin.refusal_log.due(username, "queue_full"))
        LOG_WARN("doorlock", "attempt queue full; disconnecting %s (%llu so far)", username,
                 static_cast<unsigned long long>(count));
    return MOSQ_ERR_NOMEM;
}

} // namespace

int on_disconnect(int, void* event_data, void* userdata) {
    return plugin::guarded("doorlock", MOSQ_ERR_SUCCESS, [&] {
        auto& plugin = *static_cast<DoorlockPlugin*>(userdata);
        plugin.askers.erase(static_cast<mosquitto_evt_disconnect*>(event_data)->client);
        return MOSQ_ERR_SUCCESS;
    });
}

int on_message(int, void* event_data, void* userdata) {
    return plugin::guarded("doorlock", MOSQ_ERR_UNKNOWN, [&] {
        return copy_attempt(*static_cast<DoorlockPlugin*>(userdata),
                            *static_cast<mosquitto_evt_message*>(event_data));
    });
}

} // namespace sarang::doorlock
