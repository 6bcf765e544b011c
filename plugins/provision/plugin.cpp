// sarang_provision: self-registration of fresh devices through a claim identity (issue #5).
//
//   plugin /path/to/sarang_access.so        (first: it defers the claim identity to us)
//   plugin /path/to/sarang_provision.so
//   plugin_opt_config /path/to/sarang.conf
//
// Entry points, TICK and the answers; see auth.cpp, acl.cpp, message.cpp and the workers.
#include "claim_topics.hpp"
#include "provision_plugin.hpp"
#include "sarang/auth_settings.hpp"
#include "sarang/config.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"

#include <vector>

namespace sarang::provision {

ProvisionPlugin::ProvisionPlugin(Settings s)
    : settings(std::move(s)), limiter(settings.connect_failures_per_minute,
                                      std::chrono::microseconds(60000000) /
                                          std::max(1, settings.connect_failures_per_minute),
                                      std::chrono::seconds(60), 100000) {}

const FactorySecret* ProvisionPlugin::matching_secret(const char* presented) const {
    if (presented == nullptr)
        return nullptr;
    crypto::Digest digest = credential_hash(settings.registration.pepper, presented);
    auto now = WallClock::now();
    const FactorySecret* found = nullptr;
    // Every live secret is compared, in constant time, whichever matches.
    for (const FactorySecret& secret : secrets) {
        if (crypto::constant_time_equal(secret.hash, digest) && secret.live(now))
            found = &secret;
    }
    return found;
}

void ProvisionPlugin::answer(const void* connection, std::uint64_t serial,
                             const std::string& payload) {
    auto claimant = claimants.find(connection);
    if (claimant == claimants.end() || claimant->second.serial != serial) {
        // Gone, or its client id was taken over by another connection: a credential must reach
        // only the connection that asked for it.
        ++counters.answers_dropped;
        LOG_WARN("provision", "dropped an answer: the asking connection is gone");
        return;
    }
    claimant->second.in_flight = false;
    std::string topic = response_topic(claimant->second.client_id);
    int rc = mosquitto_broker_publish_copy(claimant->second.client_id.c_str(), topic.c_str(),
                                           static_cast<int>(payload.size()), payload.data(), 1,
                                           false, nullptr);
    if (rc == MOSQ_ERR_SUCCESS)
        ++counters.answers;
    else
        LOG_ERROR("provision", "answering %s failed: %d", claimant->second.client_id.c_str(), rc);
}

void ProvisionPlugin::housekeeping() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_housekeeping)
        return;
    next_housekeeping = now + std::chrono::seconds(1);
    limiter.prune(now);
    denial_log.prune(now);
    auto wall = WallClock::now();
    std::vector<std::string> kick;
    for (const auto& [connection, claimant] : claimants) {
        bool live = false;
        for (const FactorySecret& secret : secrets)
            live = live || (secret.id == claimant.secret_id && secret.live(wall));
        if (!live)
            kick.push_back(claimant.client_id);
    }
    for (const std::string& client_id : kick) { // kicking erases from claimants
        LOG_INFO("provision", "disconnecting claimant %s: its factory secret ended",
                 client_id.c_str());
        mosquitto_kick_client_by_clientid(client_id.c_str(), false);
    }
}

std::string error_answer(const std::string& code, const std::string& message) {
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "status", json::own(json_string("error")));
    json::set(body.get(), "code", json::own(json_string(code.c_str())));
    json::set(body.get(), "error", json::own(json_string(message.c_str())));
    return json::dump(body.get());
}

namespace {

int on_tick(int, void*, void* userdata) {
    return plugin::guarded("provision", MOSQ_ERR_SUCCESS, [&] {
        auto& plugin = *static_cast<ProvisionPlugin*>(userdata);
        plugin.mailbox.drain();
        plugin.housekeeping();
        return MOSQ_ERR_SUCCESS;
    });
}

Settings read_settings(const mosquitto_opt* options, int count) {
    Config config = plugin::load_config(options, count);
    AuthSettings auth = auth_settings_from_config(config);
    Settings settings;
    settings.dsn = config.string("db.dsn");
    settings.registration.pepper = pepper_from_config(config);
    settings.registration.argon2 = auth.argon2;
    settings.registration.device_rule = auth.account;
    settings.registration.address_rule = auth.address;
    settings.registration.default_kind = config.string("provision.default_kind");
    if (find_kind(settings.registration.default_kind) == nullptr)
        throw ConfigError("provision.default_kind '" + settings.registration.default_kind +
                          "' is not a device kind");
    settings.requests_per_connection =
        static_cast<int>(config.integer_in("provision.requests_per_connection", 1, 100));
    settings.initial_load_timeout_ms =
        static_cast<int>(config.integer("access.initial_load_timeout_ms"));
    settings.connect_failures_per_minute =
        static_cast<int>(config.integer_in("access.connect_failures_per_minute", 1, 100000));
    return settings;
}

constexpr plugin::Callback callbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth},
    {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_MESSAGE, on_message},
    {MOSQ_EVT_DISCONNECT, on_disconnect},
    {MOSQ_EVT_TICK, on_tick},
};

} // namespace
} // namespace sarang::provision

using namespace sarang;

SARANG_PLUGIN_DECLARE_VERSION_5()

SARANG_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               mosquitto_opt* options, int option_count) {
    using provision::ProvisionPlugin;
    return plugin::init_plugin<ProvisionPlugin>(
        "provision", identifier, userdata, provision::callbacks,
        [&] {
            return std::make_unique<ProvisionPlugin>(
                provision::read_settings(options, option_count));
        },
        [](ProvisionPlugin& state) {
            std::future<void> loaded = state.first_load.get_future();
            state.loader = std::make_unique<Worker>(
                "sarang-provsec",
                [&state](std::stop_token stop) { run_secrets_loader(state, stop); }, FileTable::own,
                "provision");
            state.registrar = std::make_unique<Worker>(
                "sarang-provreg", [&state](std::stop_token stop) { run_registrar(state, stop); },
                FileTable::own, "provision");
            // As in the access plugin: a device connecting right at start finds the secrets.
            if (loaded.wait_for(std::chrono::milliseconds(
                    state.settings.initial_load_timeout_ms)) == std::future_status::ready)
                state.mailbox.drain();
            else
                LOG_WARN("provision", "factory secrets not loaded after %d ms; claimants wait",
                         state.settings.initial_load_timeout_ms);
            LOG_INFO("provision", "ready (%zu factory secrets)", state.secrets.size());
        });
}

SARANG_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    return plugin::cleanup_plugin<provision::ProvisionPlugin>(
        "provision", userdata, provision::callbacks, [](provision::ProvisionPlugin& state) {
            state.registrar.reset();
            state.loader.reset();
            const provision::Counters& c = state.counters;
            plugin::log_counts("provision", "stopped",
                               {{"claimants_accepted", c.claimants_accepted},
                                {"claimants_refused", c.claimants_refused},
                                {"requests", c.requests},
                                {"requests_refused", c.requests_refused},
                                {"answers", c.answers},
                                {"answers_dropped", c.answers_dropped},
                                {"acl_denied", c.acl_denied}});
        });
}
