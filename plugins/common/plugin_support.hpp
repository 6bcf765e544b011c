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

#include <initializer_list>
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

struct NamedCount {
    const char* name;
    unsigned long long value;
};

// One info line, "<what>: name=value name=value ...", e.g. a plugin's counters at cleanup.
void log_counts(const char* component, const char* what, std::initializer_list<NamedCount> counts);

} // namespace sarang::plugin
