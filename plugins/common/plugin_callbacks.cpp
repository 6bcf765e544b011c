#include "plugin_support.hpp"

namespace sarang::plugin {

int register_callbacks(mosquitto_plugin_id_t* identifier, std::span<const Callback> callbacks,
                       void* userdata, const char* component) {
    for (std::size_t i = 0; i < callbacks.size(); ++i) {
        int rc = mosquitto_callback_register(identifier, callbacks[i].event, callbacks[i].function,
                                             nullptr, userdata);
        if (rc != MOSQ_ERR_SUCCESS) {
            LOG_ERROR(component, "registering callback for event %d failed: %d", callbacks[i].event,
                      rc);
            unregister_callbacks(identifier, callbacks.first(i));
            return rc;
        }
    }
    return MOSQ_ERR_SUCCESS;
}

void unregister_callbacks(mosquitto_plugin_id_t* identifier, std::span<const Callback> callbacks) {
    for (const Callback& callback : callbacks)
        mosquitto_callback_unregister(identifier, callback.event, callback.function, nullptr);
}

void log_counts(const char* component, const char* what, std::initializer_list<NamedCount> counts) {
    std::string line = what;
    line += ':';
    for (const NamedCount& count : counts)
        line += ' ' + std::string(count.name) + '=' + std::to_string(count.value);
    LOG_INFO(component, "%s", line.c_str());
}

} // namespace sarang::plugin
