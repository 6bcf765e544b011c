// sarang_access: per-device credentials and topic ACLs for Mosquitto 2.0 (plugin API v5).
//
//   plugin /path/to/sarang_access.so
//   plugin_opt_config /path/to/sarang.conf
//
// Entry points and registration only; see auth.cpp, acl.cpp and snapshot_loader.cpp.
#include "access_plugin.hpp"
#include "sarang/config.hpp"
#include "sarang/credentials.hpp"

namespace sarang::access {

void FirstLoad::signal() {
    {
        std::lock_guard lock(mutex_);
        posted_ = true;
    }
    done_.notify_all();
}

bool FirstLoad::wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, timeout, [this] { return posted_; });
}

void AccessPlugin::apply_kicks(const std::vector<std::string>& device_ids) {
    for (const std::string& id : device_ids) {
        ++counters.kicks;
        LOG_INFO("access", "disconnecting %s: its access changed", id.c_str());
        mosquitto_kick_client_by_username(id.c_str(), false);
    }
}

namespace {

int on_tick(int, void*, void* userdata) {
    return plugin::guarded("access", MOSQ_ERR_SUCCESS, [&] {
        static_cast<AccessPlugin*>(userdata)->mailbox.drain();
        return MOSQ_ERR_SUCCESS;
    });
}

Settings read_settings(const mosquitto_opt* options, int count) {
    std::optional<std::string> path = plugin::option(options, count, "config");
    if (!path)
        throw ConfigError("plugin_opt_config is required (path to sarang.conf)");
    Config config = Config::load_file(*path);
    log::set_level(config.string("log.level"));
    Settings settings;
    settings.dsn = config.string("db.dsn");
    settings.pepper = pepper_from_config(config);
    settings.require_client_id_match = config.boolean("access.require_client_id_match");
    settings.initial_load_timeout_ms =
        static_cast<int>(config.integer("access.initial_load_timeout_ms"));
    return settings;
}

struct Registration {
    int event;
    MOSQ_FUNC_generic_callback callback;
};
constexpr Registration registrations[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth},
    {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_TICK, on_tick},
};

void unregister_all(AccessPlugin& plugin) {
    for (const Registration& registration : registrations)
        mosquitto_callback_unregister(plugin.identifier, registration.event, registration.callback,
                                      nullptr);
}

} // namespace
} // namespace sarang::access

using namespace sarang;

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    try {
        auto plugin = std::make_unique<access::AccessPlugin>();
        plugin->identifier = identifier;
        plugin->settings = access::read_settings(options, option_count);
        access::AccessPlugin& state = *plugin;
        plugin->loader = std::make_unique<Worker>(
            "sarang-access", [&state](std::stop_token stop) { run_snapshot_loader(state, stop); });
        // Listeners open only after init returns: waiting here lets devices that connect right
        // at start find their credentials, without ever blocking a connected client.
        if (state.first_load.wait(
                std::chrono::milliseconds(state.settings.initial_load_timeout_ms)))
            state.mailbox.drain();
        else
            LOG_WARN("access",
                     "device list not loaded after %d ms; devices are refused until it is",
                     state.settings.initial_load_timeout_ms);
        for (const auto& registration : access::registrations) {
            int rc = mosquitto_callback_register(identifier, registration.event,
                                                 registration.callback, nullptr, &state);
            if (rc != MOSQ_ERR_SUCCESS) {
                LOG_ERROR("access", "registering callback %d failed: %d", registration.event, rc);
                access::unregister_all(state);
                return rc;
            }
        }
        *userdata = plugin.release();
        LOG_INFO("access", "ready (%zu devices)", state.devices.size());
        return MOSQ_ERR_SUCCESS;
    } catch (const std::exception& error) {
        LOG_ERROR("access", "init failed: %s", error.what());
        return MOSQ_ERR_INVAL;
    }
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    std::unique_ptr<access::AccessPlugin> plugin(static_cast<access::AccessPlugin*>(userdata));
    if (!plugin)
        return MOSQ_ERR_SUCCESS;
    access::unregister_all(*plugin);
    plugin->loader.reset(); // stop and join before the state goes away
    const access::Counters& c = plugin->counters;
    LOG_INFO("access",
             "stopped: auth accepted=%llu refused=%llu unavailable=%llu acl denied=%llu kicks=%llu",
             static_cast<unsigned long long>(c.auth_accepted),
             static_cast<unsigned long long>(c.auth_refused),
             static_cast<unsigned long long>(c.auth_unavailable),
             static_cast<unsigned long long>(c.acl_denied),
             static_cast<unsigned long long>(c.kicks));
    return MOSQ_ERR_SUCCESS;
}
