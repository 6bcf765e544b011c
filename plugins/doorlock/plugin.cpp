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
    return {plugin::load_config(options, count).string("db.dsn")};
}

constexpr plugin::Callback callbacks[] = {
    {MOSQ_EVT_MESSAGE, doorlock::on_message},
    {MOSQ_EVT_DISCONNECT, doorlock::on_disconnect},
    {MOSQ_EVT_TICK, on_tick},
};

} // namespace

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    using doorlock::DoorlockPlugin;
    return plugin::init_plugin<DoorlockPlugin>(
        "doorlock", identifier, userdata, callbacks,
        [&] { return std::make_unique<DoorlockPlugin>(read_settings(options, option_count)); },
        [](DoorlockPlugin& state) {
            // A worker with an fd table of its own keeps the broker's socket calls cheap
            // (worker.hpp).
            state.checker = std::make_unique<Worker>(
                "sarang-doorlock", [&state](std::stop_token stop) { run_checker(state, stop); },
                FileTable::own, "doorlock");
            LOG_INFO("doorlock", "ready");
        });
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    return plugin::cleanup_plugin<doorlock::DoorlockPlugin>(
        "doorlock", userdata, callbacks, [](doorlock::DoorlockPlugin& state) {
            // Attempts still queued get no verdict: the keypad asks again after reconnecting.
            state.checker.reset();
            const doorlock::Counters& c = state.counters;
            plugin::log_counts("doorlock", "stopped",
                               {{"attempts", c.queued},
                                {"refused", c.refused},
                                {"oversized", c.oversized},
                                {"unlocked", c.accepted},
                                {"denied", c.denied},
                                {"locked", c.locked},
                                {"rejected", c.rejected},
                                {"duplicates", c.duplicates},
                                {"published", c.published},
                                {"publish_failed", c.publish_failed},
                                {"asker_gone", c.asker_gone},
                                {"alerts", c.alerts}});
        });
}
