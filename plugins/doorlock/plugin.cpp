// sarang_doorlock: keypad PIN checks for door locks in the broker (plugin API v5,
// docs/doorlock.md).
//
//   plugin /path/to/sarang_doorlock.so
//   plugin_opt_config /path/to/sarang.conf
//
// Load it after sarang_access (which binds username = client id = device id and checks that a
// lock publishes only under its own prefix). Entry points and registration only; see
// attempts.cpp (MESSAGE), checker.cpp (worker) and verdicts.cpp (TICK publishes).
#include "doorlock_plugin.hpp"
#include "sarang/config.hpp"

using namespace sarang;

namespace {

int on_tick(int, void*, void* userdata) {
    return plugin::guarded("doorlock", MOSQ_ERR_SUCCESS, [&] {
        static_cast<doorlock::DoorlockPlugin*>(userdata)->mailbox.drain();
        return MOSQ_ERR_SUCCESS;
    });
}

doorlock::Settings read_settings(const mosquitto_opt* options, int count) {
    std::optional<std::string> path = plugin::option(options, count, "config");
    if (!path)
        throw ConfigError("plugin_opt_config is required (path to sarang.conf)");
    Config config = Config::load_file(*path);
    log::set_level(config.string("log.level"));
    return {config.string("db.dsn")};
}

struct Registration {
    int event;
    MOSQ_FUNC_generic_callback callback;
};
constexpr Registration registrations[] = {
    {MOSQ_EVT_MESSAGE, doorlock::on_message},
    {MOSQ_EVT_TICK, on_tick},
};

void unregister_all(doorlock::DoorlockPlugin& plugin) {
    for (const Registration& registration : registrations)
        mosquitto_callback_unregister(plugin.identifier, registration.event, registration.callback,
                                      nullptr);
}

} // namespace

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    try {
        auto plugin =
            std::make_unique<doorlock::DoorlockPlugin>(read_settings(options, option_count));
        plugin->identifier = identifier;
        doorlock::DoorlockPlugin& state = *plugin;
        for (const Registration& registration : registrations) {
            int rc = mosquitto_callback_register(identifier, registration.event,
                                                 registration.callback, nullptr, &state);
            if (rc != MOSQ_ERR_SUCCESS) {
                LOG_ERROR("doorlock", "registering callback %d failed: %d", registration.event, rc);
                unregister_all(state);
                return rc;
            }
        }
        // A worker with an fd table of its own keeps the broker's socket calls cheap (worker.hpp).
        plugin->checker = std::make_unique<Worker>(
            "sarang-doorlock", [&state](std::stop_token stop) { run_checker(state, stop); },
            FileTable::own);
        *userdata = plugin.release();
        LOG_INFO("doorlock", "ready");
        return MOSQ_ERR_SUCCESS;
    } catch (const std::exception& error) {
        LOG_ERROR("doorlock", "init failed: %s", error.what());
        return MOSQ_ERR_INVAL;
    }
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    std::unique_ptr<doorlock::DoorlockPlugin> plugin(
        static_cast<doorlock::DoorlockPlugin*>(userdata));
    if (!plugin)
        return MOSQ_ERR_SUCCESS;
    unregister_all(*plugin);
    // Stop and join before the state goes away. Attempts still queued get no verdict: the
    // keypad asks again after reconnecting.
    plugin->checker.reset();
    const doorlock::Counters& c = plugin->counters;
    LOG_INFO("doorlock",
             "stopped: attempts=%llu refused=%llu oversized=%llu unlocked=%llu denied=%llu "
             "locked=%llu rejected=%llu duplicates=%llu published=%llu publish-failed=%llu "
             "alerts=%llu",
             static_cast<unsigned long long>(c.queued.load()),
             static_cast<unsigned long long>(c.refused.load()),
             static_cast<unsigned long long>(c.oversized.load()),
             static_cast<unsigned long long>(c.accepted.load()),
             static_cast<unsigned long long>(c.denied.load()),
             static_cast<unsigned long long>(c.locked.load()),
             static_cast<unsigned long long>(c.rejected.load()),
             static_cast<unsigned long long>(c.duplicates.load()),
             static_cast<unsigned long long>(c.published.load()),
             static_cast<unsigned long long>(c.publish_failed.load()),
             static_cast<unsigned long long>(c.alerts.load()));
    return MOSQ_ERR_SUCCESS;
}
