// sarang_commands: the commands outbox in the broker (plugin API v5, docs/commands.md).
//
//   plugin /path/to/sarang_commands.so
//   plugin_opt_config /path/to/sarang.conf
//
// Load it after sarang_access: it relies on the access plugin's presence records (which node
// holds a device's session) and on client id = username = device id.
// Entry points and registration only; see dispatcher.cpp, delivery.cpp, answers.cpp and
// answer_writer.cpp.
#include "commands_plugin.hpp"
#include "sarang/config.hpp"

using namespace sarang;

namespace {

int on_tick(int, void*, void* userdata) {
    return plugin::guarded("commands", MOSQ_ERR_SUCCESS, [&] {
        static_cast<commands::CommandsPlugin*>(userdata)->mailbox.drain();
        return MOSQ_ERR_SUCCESS;
    });
}

commands::Settings read_settings(const mosquitto_opt* options, int count) {
    Config config = plugin::load_config(options, count);
    if (!config.boolean("access.require_client_id_match"))
        LOG_WARN("commands", "access.require_client_id_match is off: commands reach only devices "
                             "whose client id is their device id");
    return {config.string("db.dsn"), plugin::node_name(config)};
}

constexpr plugin::Callback callbacks[] = {
    {MOSQ_EVT_MESSAGE, commands::on_message},
    {MOSQ_EVT_TICK, on_tick},
};

} // namespace

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    try {
        auto plugin =
            std::make_unique<commands::CommandsPlugin>(read_settings(options, option_count));
        plugin->identifier = identifier;
        commands::CommandsPlugin& state = *plugin;
        if (int rc = plugin::register_callbacks(identifier, callbacks, &state, "commands");
            rc != MOSQ_ERR_SUCCESS)
            return rc;
        // Workers with fd tables of their own keep the broker's socket calls cheap (worker.hpp).
        plugin->dispatcher = std::make_unique<Worker>(
            "sarang-cmd-send", [&state](std::stop_token stop) { run_dispatcher(state, stop); },
            FileTable::own);
        plugin->answer_writer = std::make_unique<Worker>(
            "sarang-cmd-ack", [&state](std::stop_token stop) { run_answer_writer(state, stop); },
            FileTable::own);
        *userdata = plugin.release();
        LOG_INFO("commands", "ready (node %s)", state.settings.node_name.c_str());
        return MOSQ_ERR_SUCCESS;
    } catch (const std::exception& error) {
        LOG_ERROR("commands", "init failed: %s", error.what());
        return MOSQ_ERR_INVAL;
    }
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    std::unique_ptr<commands::CommandsPlugin> plugin(
        static_cast<commands::CommandsPlugin*>(userdata));
    if (!plugin)
        return MOSQ_ERR_SUCCESS;
    plugin::unregister_callbacks(plugin->identifier, callbacks);
    // Stop and join before the state goes away. Undelivered mailbox publishes are dropped: those
    // commands are recorded sent to connections that end with this broker, so they go again.
    plugin->dispatcher.reset();
    plugin->answer_writer.reset();
    const commands::Counters& c = plugin->counters;
    plugin::log_counts("commands", "stopped",
                       {{"published", c.published},
                        {"publish_failed", c.publish_failed},
                        {"answers", c.answers_queued},
                        {"answers_refused", c.answers_refused},
                        {"answers_oversized", c.answers_oversized},
                        {"settled", c.settled},
                        {"unmatched", c.unmatched},
                        {"expired", c.expired}});
    return MOSQ_ERR_SUCCESS;
}
