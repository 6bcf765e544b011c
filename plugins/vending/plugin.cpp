// sarang_vending: vending machines' dispense results in the broker (plugin API v5,
// docs/vending.md).
//
//   plugin /path/to/sarang_vending.so
//   plugin_opt_config /path/to/sarang.conf
//
// Load it after sarang_access (which binds username = device id and checks that a machine
// publishes only under its own prefix). Entry points and registration only; see results.cpp
// (MESSAGE) and result_writer.cpp (worker).
#include "sarang/config.hpp"
#include "vending_plugin.hpp"

using namespace sarang;

namespace {

vending::Settings read_settings(const mosquitto_opt* options, int count) {
    Config config = plugin::load_config(options, count);
    return {config.string("db.dsn")};
}

constexpr plugin::Callback callbacks[] = {{MOSQ_EVT_MESSAGE, vending::on_message}};

} // namespace

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    using vending::VendingPlugin;
    return plugin::init_plugin<VendingPlugin>(
        "vending", identifier, userdata, callbacks,
        [&] { return std::make_unique<VendingPlugin>(read_settings(options, option_count)); },
        [](VendingPlugin& state) {
            // A worker with an fd table of its own keeps the broker's socket calls cheap
            // (worker.hpp).
            state.writer = std::make_unique<Worker>(
                "sarang-vending",
                [&state](std::stop_token stop) { run_result_writer(state, stop); }, FileTable::own,
                "vending");
            LOG_INFO("vending", "ready");
        });
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    return plugin::cleanup_plugin<vending::VendingPlugin>(
        "vending", userdata, callbacks, [](vending::VendingPlugin& state) {
            // Results still queued are lost: their orders stay DISPENSING until the deadline
            // fails them (docs/vending.md, "Restarts").
            state.writer.reset();
            const vending::Counters& c = state.counters;
            plugin::log_counts("vending", "stopped",
                               {{"results", c.queued},
                                {"refused", c.refused},
                                {"oversized", c.oversized},
                                {"applied", c.applied},
                                {"duplicates", c.duplicates},
                                {"late", c.late},
                                {"rejected", c.rejected},
                                {"timeouts", c.timeouts}});
        });
}
