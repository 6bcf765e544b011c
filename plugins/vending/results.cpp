// MESSAGE: copy a machine's dispense_result off the broker thread. A suffix compare, three
// string copies and a push; parsing and PostgreSQL happen in the result writer.
//
// When the queue is full the machine is disconnected instead of acknowledged (as the commands
// and telemetry plugins do): no PUBACK, so a machine with a persistent session resends.
#include "vending_plugin.hpp"

#include <string_view>

namespace sarang::vending {
namespace {

constexpr std::string_view result_suffix = "/dispense_result";

int copy_result(VendingPlugin& plugin, const mosquitto_evt_message& event) {
    if (event.topic == nullptr || !std::string_view(event.topic).ends_with(result_suffix))
        return MOSQ_ERR_SUCCESS;
    // Devices publish under their username (the access plugin binds the two).
    const char* username = mosquitto_client_username(event.client);
    if (username == nullptr)
        return MOSQ_ERR_SUCCESS;
    std::size_t size = event.payload ? event.payloadlen : 0;
    if (size > max_result_bytes) {
        std::uint64_t count = ++plugin.counters.oversized;
        plugin.refusals.add(username, "oversized",
                            "dispense_result of " + std::to_string(size) + " bytes (at most " +
                                std::to_string(max_result_bytes) + ")",
                            {static_cast<const char*>(event.payload), size});
        if (plugin.refusal_log.due(username, "oversized"))
            LOG_WARN("vending", "rejected result from %s: %zu bytes (%llu so far)", username, size,
                     static_cast<unsigned long long>(count));
        return MOSQ_ERR_SUCCESS;
    }
    Result result{username, event.topic,
                  std::string(static_cast<const char*>(event.payload), size)};
    if (plugin.results.try_push(std::move(result))) {
        ++plugin.counters.queued;
        return MOSQ_ERR_SUCCESS;
    }
    std::uint64_t count = ++plugin.counters.refused;
    plugin.refusals.add(username, "queue_full", "result queue full; the machine was disconnected",
                        {static_cast<const char*>(event.payload), size});
    if (plugin.refusal_log.due(username, "queue_full"))
        LOG_WARN("vending", "result queue full; disconnecting %s (%llu so far)", username,
                 static_cast<unsigned long long>(count));
    return MOSQ_ERR_NOMEM;
}

} // namespace

int on_message(int, void* event_data, void* userdata) {
    return plugin::guarded("vending", MOSQ_ERR_UNKNOWN, [&] {
        return copy_result(*static_cast<VendingPlugin*>(userdata),
                           *static_cast<mosquitto_evt_message*>(event_data));
    });
}

} // namespace sarang::vending
