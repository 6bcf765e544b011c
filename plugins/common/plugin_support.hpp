#pragma once
// What every Sarang plugin shares: the export marker for its three entry points, the exception
// firewall around callbacks, and reading plugin_opt_config.
//
// mosquitto_broker.h must come before mosquitto_plugin.h in 2.0.11 (fixed upstream in 2.0.12).
// clang-format off
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>
// clang-format on

#include "sarang/config.hpp"
#include "sarang/log.hpp"

#include <optional>
#include <string>

#define SARANG_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

// Every Sarang plugin speaks plugin API v5 (the shape of 2.1's MOSQUITTO_PLUGIN_DECLARE_VERSION).
#define SARANG_PLUGIN_DECLARE_VERSION_5()                                                          \
    SARANG_PLUGIN_EXPORT int mosquitto_plugin_version(int count, const int* versions) {            \
        for (int i = 0; i < count; ++i) {                                                          \
            if (versions[i] == 5)                                                                  \
                return 5;                                                                          \
        }                                                                                          \
        return -1;                                                                                 \
    }

namespace sarang::plugin {

// The value of plugin_opt_<key>, if given.
std::optional<std::string> option(const mosquitto_opt* options, int count, const char* key);

// sarang.conf from plugin_opt_config (required), with log.level applied. Throws ConfigError.
Config load_config(const mosquitto_opt* options, int count);

// This broker's name in presence and command records: broker.node_name, else the host name.
std::string node_name(const Config& config);

// Runs a callback body; an exception never crosses into the broker. It is logged once and turns
// into the fail-closed answer the caller names (MOSQ_ERR_AUTH, MOSQ_ERR_ACL_DENIED, ...),
// never into SUCCESS or DEFER.
template <typename Body> int guarded(const char* component, int fail_closed, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& error) {
        LOG_ERROR(component, "callback failed: %s", error.what());
    } catch (...) {
        LOG_ERROR(component, "callback failed with an unknown exception");
    }
    return fail_closed;
}

} // namespace sarang::plugin

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>

namespace sarang::plugin {

// One of a plugin's event callbacks. A plugin lists them in one table and registers and
// unregisters them together, so init and cleanup cannot disagree.
struct Callback {
    int event;
    MOSQ_FUNC_generic_callback function;
};

// Registers every callback with `userdata`. On a failure it unregisters those already
// registered, logs, and returns the broker's code; MOSQ_ERR_SUCCESS otherwise.
int register_callbacks(mosquitto_plugin_id_t* identifier, std::span<const Callback> callbacks,
                       void* userdata, const char* component);
void unregister_callbacks(mosquitto_plugin_id_t* identifier, std::span<const Callback> callbacks);

// Counts one more of something that a broker callback refused or dropped, and says whether to
// log it: the count for the first one and every `every`th after it, else 0. A flood is
// visible in the log without a line per message.
inline std::uint64_t count_for_log(std::atomic<std::uint64_t>& counter,
                                   std::uint64_t every = 1000) {
    std::uint64_t count = ++counter;
    return count == 1 || count % every == 0 ? count : 0;
}

struct NamedCount {
    const char* name;
    unsigned long long value;
};

// One info line, "<what>: name=value name=value ...", e.g. a plugin's counters at cleanup.
void log_counts(const char* component, const char* what, std::initializer_list<NamedCount> counts);

// mosquitto_plugin_init for every Sarang plugin: `make` builds the state from the options,
// `start` starts its workers (and may wait for a first load), then the callbacks are registered
// and the state is handed to the broker. An exception or a refused registration destroys the
// state, workers joined, before any callback could have seen it.
template <typename State>
int init_plugin(const char* component, mosquitto_plugin_id_t* identifier, void** userdata,
                std::span<const Callback> callbacks,
                const std::function<std::unique_ptr<State>()>& make,
                const std::function<void(State&)>& start) noexcept {
    try {
        std::unique_ptr<State> state = make();
        state->identifier = identifier;
        start(*state);
        if (int rc = register_callbacks(identifier, callbacks, state.get(), component);
            rc != MOSQ_ERR_SUCCESS)
            return rc;
        *userdata = state.release();
        return MOSQ_ERR_SUCCESS;
    } catch (const std::exception& error) {
        LOG_ERROR(component, "init failed: %s", error.what());
    } catch (...) {
        LOG_ERROR(component, "init failed with an unknown exception");
    }
    return MOSQ_ERR_INVAL;
}

// mosquitto_plugin_cleanup: callbacks off first, then `stop` (join workers in the order the
// plugin needs, log its counters), then the state goes.
template <typename State>
int cleanup_plugin(const char* component, void* userdata, std::span<const Callback> callbacks,
                   const std::function<void(State&)>& stop) noexcept {
    std::unique_ptr<State> state(static_cast<State*>(userdata));
    if (!state)
        return MOSQ_ERR_SUCCESS;
    unregister_callbacks(state->identifier, callbacks);
    guarded(component, MOSQ_ERR_SUCCESS, [&] {
        stop(*state);
        return MOSQ_ERR_SUCCESS;
    });
    return MOSQ_ERR_SUCCESS;
}

} // namespace sarang::plugin
