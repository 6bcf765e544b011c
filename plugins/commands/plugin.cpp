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
    using commands::CommandsPlugin;
    return plugin::init_plugin<CommandsPlugin>(
        "commands", identifier, userdata, callbacks,
        [&] { return std::make_unique<CommandsPlugin>(read_settings(options, option_count)); },
        [](CommandsPlugin& state) {
            // Workers with fd tables of their own keep the broker's socket calls cheap
            // (worker.hpp). What the dispatcher queues before TICK is registered waits in the
            // mailbox.
            state.dispatcher = std::make_unique<Worker>(
                "sarang-cmd-send", [&state](std::stop_token stop) { run_dispatcher(state, stop); },
                FileTable::own, "commands");
            state.answer_writer = std::make_unique<Worker>(
                "sarang-cmd-ack",
                [&state](std::stop_token stop) { run_answer_writer(state, stop); }, FileTable::own,
                "commands");
            LOG_INFO("commands", "ready (node %s)", state.settings.node_name.c_str());
        });
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    return plugin::cleanup_plugin<commands::CommandsPlugin>(
        "commands", userdata, callbacks, [](commands::CommandsPlugin& state) {
            // Undelivered mailbox publishes are dropped: those commands are recorded sent to
            // connections that end with this broker, so they go again.
            state.dispatcher.reset();
            state.answer_writer.reset();
            const commands::Counters& c = state.counters;
            plugin::log_counts("commands", "stopped",
                               {{"published", c.published},
                                {"publish_failed", c.publish_failed},
                                {"answers", c.answers_queued},
                                {"answers_refused", c.answers_refused},
                                {"answers_oversized", c.answers_oversized},
                                {"settled", c.settled},
                                {"unmatched", c.unmatched},
                                {"expired", c.expired}});
        });
}
