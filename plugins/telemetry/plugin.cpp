// sarang_telemetry: device readings into PostgreSQL, off the broker thread (plugin API v5).
//
//   plugin /path/to/sarang_telemetry.so
//   plugin_opt_config /path/to/sarang.conf
//
// Load it after sarang_access: it trusts the username the access plugin authenticated and the
// topic its ACL allowed, and checks the topic against the device's prefix again before writing.
#include "sarang/config.hpp"
#include "telemetry_plugin.hpp"

using namespace sarang;

namespace {

telemetry::Settings read_settings(const mosquitto_opt* options, int count) {
    Config config = plugin::load_config(options, count);
    std::optional<std::string> journal = plugin::option(options, count, "journal_dir");
    if (!journal || journal->empty())
        throw ConfigError("plugin_opt_journal_dir is required (this broker's telemetry journal)");
    telemetry::Settings settings;
    settings.dsn = config.string("db.dsn");
    settings.journal_dir = *journal;
    settings.batch_max =
        static_cast<std::size_t>(config.integer_in("telemetry.batch_max", 1, 50000));
    settings.batch_interval =
        std::chrono::milliseconds(config.integer_in("telemetry.batch_interval_ms", 0, 1000));
    settings.journal_limits.max_bytes =
        static_cast<std::uint64_t>(config.integer_in("telemetry.journal_max_mb", 16, 1 << 20))
        << 20;
    settings.journal_limits.segment_bytes =
        static_cast<std::uint64_t>(config.integer_in("telemetry.journal_segment_mb", 1, 1024))
        << 20;
    settings.sync_interval =
        std::chrono::milliseconds(config.integer_in("telemetry.journal_sync_ms", 10, 60000));
    return settings;
}

constexpr plugin::Callback callbacks[] = {{MOSQ_EVT_MESSAGE, telemetry::on_message}};

} // namespace

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    using telemetry::TelemetryPlugin;
    return plugin::init_plugin<TelemetryPlugin>(
        "telemetry", identifier, userdata, callbacks,
        [&] { return std::make_unique<TelemetryPlugin>(read_settings(options, option_count)); },
        [](TelemetryPlugin& state) {
            state.writer = std::make_unique<Worker>(
                "sarang-telem", [&state](std::stop_token stop) { run_writer(state, stop); },
                FileTable::own, "telemetry");
            LOG_INFO("telemetry", "ready (journal %s: %llu messages to land, batch %zu)",
                     state.settings.journal_dir.c_str(),
                     static_cast<unsigned long long>(state.journal.last_appended() -
                                                     state.journal.last_landed()),
                     state.settings.batch_max);
        });
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    return plugin::cleanup_plugin<telemetry::TelemetryPlugin>(
        "telemetry", userdata, callbacks, [](telemetry::TelemetryPlugin& state) {
            state.writer.reset(); // lands what it can, then joins
            const telemetry::Counters& c = state.counters;
            plugin::log_counts("telemetry", "stopped",
                               {{"journaled", c.journaled},
                                {"refused_journal_full", c.refused_journal_full},
                                {"landed", c.messages_landed},
                                {"readings", c.readings_new},
                                {"duplicate", c.readings_duplicate},
                                {"rejected", c.messages_rejected},
                                {"failed", c.messages_failed}});
        });
}
