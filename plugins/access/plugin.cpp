// sarang_access: per-device credentials and topic ACLs for Mosquitto 2.0 (plugin API v5).
//
//   plugin /path/to/sarang_access.so
//   plugin_opt_config /path/to/sarang.conf
//
// Entry points and registration only; see auth.cpp, acl.cpp and snapshot_loader.cpp.
#include "access_plugin.hpp"
#include "sarang/config.hpp"
#include "sarang/credentials.hpp"

#include <algorithm>
#include <set>

namespace sarang::access {

void StartupSignal::signal() {
    {
        std::lock_guard lock(mutex_);
        posted_ = true;
    }
    done_.notify_all();
}

bool StartupSignal::wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, timeout, [this] { return posted_; });
}

void AppliedBarrier::mark(long long barrier) {
    {
        std::lock_guard lock(mutex_);
        if (barrier <= value_)
            return;
        value_ = barrier;
    }
    applied_.notify_all();
}

long long AppliedBarrier::value() const {
    std::lock_guard lock(mutex_);
    return value_;
}

bool AppliedBarrier::wait(long long barrier, std::stop_token stop,
                          std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return applied_.wait_for(lock, stop, timeout, [&] { return value_ >= barrier; });
}

AccessPlugin::AccessPlugin(Settings s)
    : settings(std::move(s)),
      address_failures(settings.connect_failures_per_minute,
                       std::chrono::microseconds(60000000) /
                           std::max(1, settings.connect_failures_per_minute),
                       std::chrono::seconds(60), 100000),
      username_failures(settings.connect_failures_per_minute,
                        std::chrono::microseconds(60000000) /
                            std::max(1, settings.connect_failures_per_minute),
                        std::chrono::seconds(60), 100000),
      denial_log(1, std::chrono::seconds(1), std::chrono::seconds(60), 100000) {}

void AccessPlugin::revalidate(const std::vector<std::string>& device_ids) {
    auto now = WallClock::now();
    for (const std::string& id : device_ids) {
        const DeviceRecord* device = devices.find(id);
        for (const void* connection : sessions.connections_of(id)) {
            const Session* session = sessions.find(connection);
            if (session == nullptr)
                continue;
            if (session_still_valid(device, *session, now)) {
                bool previous = match_credential(*device, session->credential, now) ==
                                CredentialMatch::previous;
                sessions.mark_previous_credential(connection, previous);
                if (previous)
                    note_grace_end(*device);
                continue;
            }
            std::string client_id = session->client_id; // the kick below erases the session
            ++counters.kicks;
            LOG_INFO("access", "disconnecting %s (client %s): its access changed", id.c_str(),
                     client_id.c_str());
            mosquitto_kick_client_by_clientid(client_id.c_str(), false);
        }
    }
}

void AccessPlugin::revalidate_app_connections(const std::vector<long long>& user_ids) {
    auto now = WallClock::now();
    std::vector<std::string> kick;
    for (const auto& [connection, app] : app_connections) {
        if (!user_ids.empty() &&
            std::find(user_ids.begin(), user_ids.end(), app.user_id) == user_ids.end())
            continue;
        if (!app_session_valid(app_users.find(app.user_id), app.token_hash, now))
            kick.push_back(app.client_id);
    }
    for (const std::string& client_id : kick) { // kicking erases from app_connections
        ++counters.kicks;
        LOG_INFO("access", "disconnecting app client %s: its session ended", client_id.c_str());
        mosquitto_kick_client_by_clientid(client_id.c_str(), false);
    }
}

void AccessPlugin::revalidate_integrations(const std::vector<std::string>& names) {
    if (names.empty())
        return;
    std::vector<std::string> kick;
    for (const auto& [connection, held] : integration_connections) {
        if (std::find(names.begin(), names.end(), held.name) == names.end())
            continue;
        const Integration* integration = integrations.find(held.name);
        if (integration == nullptr ||
            !crypto::constant_time_equal(integration->credential_hash, held.credential))
            kick.push_back(held.client_id);
    }
    for (const std::string& client_id : kick) { // kicking erases from integration_connections
        ++counters.kicks;
        LOG_INFO("access", "disconnecting integration client %s: revoked or rotated",
                 client_id.c_str());
        mosquitto_kick_client_by_clientid(client_id.c_str(), false);
    }
}

void AccessPlugin::housekeeping() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_housekeeping)
        return;
    next_housekeeping = now + std::chrono::seconds(1);
    // Sessions on a pre-rotation credential end when its grace does: recheck them (each device
    // once) when the earliest grace has ended; revalidate() notes the next one.
    if (!sessions.on_previous_credential().empty() && WallClock::now() >= next_grace_end) {
        next_grace_end = WallClock::time_point::max();
        std::set<std::string> graced;
        for (const auto& [connection, device] : sessions.on_previous_credential())
            graced.insert(device);
        revalidate({graced.begin(), graced.end()});
    }
    // Sessions on a device certificate end when it expires.
    std::vector<std::string> expired;
    for (auto due = certificate_ends.begin();
         due != certificate_ends.end() && due->first <= WallClock::now();
         due = certificate_ends.erase(due))
        expired.push_back(due->second);
    if (!expired.empty())
        revalidate(expired);
    revalidate_app_connections({}); // sessions expire by the clock, without a notification
    address_failures.prune(now);
    username_failures.prune(now);
    denial_log.prune(now);
}

namespace {

int on_tick(int, void*, void* userdata) {
    return plugin::guarded("access", MOSQ_ERR_SUCCESS, [&] {
        auto& plugin = *static_cast<AccessPlugin*>(userdata);
        plugin.sessions.forget_closed(); // their wills have been checked by now
        plugin.mailbox.drain();
        plugin.housekeeping();
        return MOSQ_ERR_SUCCESS;
    });
}

Settings read_settings(const mosquitto_opt* options, int count) {
    Config config = plugin::load_config(options, count);
    Settings settings;
    settings.dsn = config.string("db.dsn");
    settings.pepper = pepper_from_config(config);
    settings.require_client_id_match = config.boolean("access.require_client_id_match");
    settings.initial_load_timeout_ms =
        static_cast<int>(config.integer("access.initial_load_timeout_ms"));
    long failures = config.integer("access.connect_failures_per_minute");
    if (failures < 1 || failures > 100000)
        throw ConfigError("access.connect_failures_per_minute must be between 1 and 100000");
    settings.connect_failures_per_minute = static_cast<int>(failures);
    settings.node_name = plugin::node_name(config);
    return settings;
}

constexpr plugin::Callback callbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth},
    {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_DISCONNECT, on_disconnect},
    {MOSQ_EVT_TICK, on_tick},
};

} // namespace
} // namespace sarang::access

using namespace sarang;

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    using access::AccessPlugin;
    return plugin::init_plugin<AccessPlugin>(
        "access", identifier, userdata, access::callbacks,
        [&] {
            return std::make_unique<AccessPlugin>(access::read_settings(options, option_count));
        },
        [](AccessPlugin& state) {
            // Workers with fd tables of their own keep the broker's socket calls cheap
            // (worker.hpp).
            state.loader = std::make_unique<Worker>(
                "sarang-access",
                [&state](std::stop_token stop) { run_snapshot_loader(state, stop); },
                FileTable::own, "access");
            state.presence_writer = std::make_unique<Worker>(
                "sarang-presence",
                [&state](std::stop_token stop) { run_presence_writer(state, stop); },
                FileTable::own, "access");
            // Listeners open only after init returns: waiting here lets devices that connect
            // right at start find their credentials, without ever blocking a connected client.
            auto timeout = std::chrono::milliseconds(state.settings.initial_load_timeout_ms);
            if (state.first_load.wait(timeout)) {
                // Applies the snapshot and its barrier mark, which lets the loader register
                // this node (it waits for the mark to be applied on this thread).
                state.mailbox.drain();
                if (!state.node_registered.wait(timeout))
                    LOG_WARN("access",
                             "node not registered in access_nodes after %d ms; credentials issued "
                             "until it is may be refused for a moment",
                             state.settings.initial_load_timeout_ms);
            } else {
                LOG_WARN("access",
                         "device list not loaded after %d ms; devices are refused until it is",
                         state.settings.initial_load_timeout_ms);
            }
            LOG_INFO("access", "ready (%zu devices, node %s)", state.devices.size(),
                     state.settings.node_name.c_str());
        });
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    return plugin::cleanup_plugin<access::AccessPlugin>(
        "access", userdata, access::callbacks, [](access::AccessPlugin& state) {
            // The presence writer records this node's devices offline on its way out.
            state.loader.reset();
            state.presence_writer.reset();
            const access::Counters& c = state.counters;
            plugin::log_counts("access", "stopped",
                               {{"auth_accepted", c.auth_accepted},
                                {"auth_accepted_previous_credential", c.auth_accepted_previous},
                                {"auth_refused", c.auth_refused},
                                {"integration_auth_accepted", c.integration_auth_accepted},
                                {"auth_rate_limited", c.auth_rate_limited},
                                {"auth_unavailable", c.auth_unavailable},
                                {"acl_denied", c.acl_denied},
                                {"kicks", c.kicks}});
        });
}
