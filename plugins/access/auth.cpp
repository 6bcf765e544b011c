// BASIC_AUTH: a device is username = device id, password = its credential token, and (unless
// sarang.conf says otherwise) client id = device id. Answers from the snapshot only; an unknown
// username is deferred to the other plugins.
//
// Client ids are split in two (core device_side_client_id): a device connects only on the
// device side, everyone else only off it, and a device's id is refused to anyone but that
// device, whichever plugin would have admitted them. Holding a client id means receiving the
// targeted publishes made to it (commands, door verdicts) and evicting its current holder, so
// nobody may take over a device's session and a device may not take over anyone's.
//
// Failed attempts are counted per username, and per client address only when the username names
// no identity here (an unknown integration, a device's client id under another name, an anonymous
// client on a device's id). An address that used up its budget is refused before any credential
// work, but again only for such names: behind HAProxy in TCP mode or a carrier-grade NAT every
// device shares one address, and a hostile one there must not lock the others out. Guessing is
// no threat to a known identity (256-bit tokens, one HMAC per check); a username that used up its
// budget is only logged less, so a stranger guessing a device's name cannot lock it out either.
#include "access_plugin.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"

#include <cstring>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace sarang::access {
namespace {

bool has_forbidden_characters(const char* text) {
    return text != nullptr && std::strpbrk(text, "+#/") != nullptr;
}

// A device, an app user or a live integration: someone whose credential is checked whatever the
// address's failure count.
bool names_known_identity(AccessPlugin& plugin, std::string_view username) {
    if (!plugin.devices.loaded())
        return false;
    if (std::string_view name = integration_name_of(username); !name.empty())
        return plugin.integrations.find(name) != nullptr;
    return plugin.devices.find(username) != nullptr || plugin.app_users.find(username) != nullptr;
}

int refuse(AccessPlugin& plugin, const char* username, const char* address, const char* reason) {
    auto now = FailureLimiter::Clock::now();
    ++plugin.counters.auth_refused;
    if (!names_known_identity(plugin, username))
        plugin.address_failures.failed(address, now);
    plugin.username_failures.failed(username, now);
    if (std::optional<std::uint64_t> folded = plugin.username_failures.log_due(username, now)) {
        if (*folded > 0)
            LOG_WARN("access", "refused %s from %s: %s (%llu similar refusals not logged)",
                     username, address, reason, static_cast<unsigned long long>(*folded));
        else
            LOG_WARN("access", "refused %s from %s: %s", username, address, reason);
    }
    return MOSQ_ERR_AUTH;
}

// An app user: username plus one of its live REST session tokens as password.
int authenticate_app_user(AccessPlugin& plugin, const mosquitto_evt_basic_auth& event,
                          const char* address, const char* client_id) {
    const AppUser* user = plugin.app_users.find(std::string_view(event.username));
    if (user == nullptr)
        return MOSQ_ERR_PLUGIN_DEFER; // neither a device nor an app user: another plugin's
    if (client_id == nullptr || !own_client_id("app", event.username, client_id))
        return refuse(plugin, event.username, address,
                      "an app user's client id is app:<username>[:<suffix>] (or one the broker "
                      "assigns)");
    if (event.password == nullptr)
        return refuse(plugin, event.username, address, "no password");
    crypto::Digest presented = credential_hash(plugin.settings.pepper, event.password);
    if (!app_session_valid(user, presented, WallClock::now()))
        return refuse(plugin, event.username, address, "no live session with this token");
    ++plugin.counters.app_auth_accepted;
    plugin.app_connections.insert_or_assign(
        event.client, AppConnection{user->id, presented, client_id ? client_id : ""});
    LOG_DEBUG("access", "accepted app user %s", event.username);
    return MOSQ_ERR_SUCCESS;
}

// An integration: "integration:<name>" with its credential; reads within its filters (acl.cpp).
// The namespace is ours, so an unknown name is refused, not deferred.
int authenticate_integration(AccessPlugin& plugin, const mosquitto_evt_basic_auth& event,
                             std::string_view name, const char* address, const char* client_id) {
    const Integration* integration = plugin.integrations.find(name);
    if (integration == nullptr)
        return refuse(plugin, event.username, address, "no such integration (or revoked)");
    if (has_forbidden_characters(event.username) || has_forbidden_characters(client_id))
        return refuse(plugin, event.username, address, "+, # or / in username or client id");
    if (client_id == nullptr || !integration_client_id(name, client_id))
        return refuse(plugin, event.username, address,
                      "an integration's client id is integration:<name>[:<suffix>] (or one the "
                      "broker assigns)");
    if (event.password == nullptr)
        return refuse(plugin, event.username, address, "no password");
    crypto::Digest presented = credential_hash(plugin.settings.pepper, event.password);
    if (!crypto::constant_time_equal(integration->credential_hash, presented))
        return refuse(plugin, event.username, address, "wrong credential");
    ++plugin.counters.integration_auth_accepted;
    plugin.integration_connections.insert_or_assign(
        event.client, IntegrationConnection{integration->name, presented, client_id});
    LOG_DEBUG("access", "accepted integration %s", event.username);
    return MOSQ_ERR_SUCCESS;
}

bool address_exhausted(AccessPlugin& plugin, const char* address) {
    auto now = FailureLimiter::Clock::now();
    if (!plugin.address_failures.exhausted(address, now))
        return false;
    ++plugin.counters.auth_rate_limited;
    if (std::optional<std::uint64_t> folded = plugin.address_failures.log_due(address, now))
        LOG_WARN("access",
                 "refusing connects from %s for now: too many failures (%llu more "
                 "refused since the last line)",
                 address, static_cast<unsigned long long>(*folded));
    return true;
}

struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// A device on a listener with require_certificate (mutual TLS). The handshake has verified the
// chain against the listener's cafile (the device CA) and the validity dates; this admits only
// a certificate Sarang issued and has not revoked, found by its SHA-256 fingerprint (the
// subject's CN alone would let any certificate the CA ever signed in). The certificate stands
// for the password: a username, if sent, must be the device id; a password is ignored.
int authenticate_certificate(AccessPlugin& plugin, const mosquitto_evt_basic_auth& event,
                             X509* certificate, const char* address) {
    const char* shown = event.username != nullptr ? event.username : "(client certificate)";
    if (address_exhausted(plugin, address))
        return MOSQ_ERR_AUTH;
    if (!plugin.devices.loaded()) {
        ++plugin.counters.auth_unavailable;
        LOG_WARN("access", "refusing %s: device list not loaded yet", shown);
        return MOSQ_ERR_UNKNOWN;
    }
    crypto::Digest fingerprint{};
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), fingerprint.data(), &length) != 1 ||
        length != fingerprint.size())
        return refuse(plugin, shown, address, "cannot fingerprint the client certificate");
    const DeviceRecord* device = plugin.devices.find_by_certificate(fingerprint);
    if (device == nullptr)
        return refuse(plugin, shown, address, "client certificate not issued or revoked");
    const char* name = device->id.c_str();
    if (device->revoked())
        return refuse(plugin, name, address, "device revoked");
    if (device->kind == nullptr)
        return refuse(plugin, name, address, "unknown device kind");
    if (!certificate_valid(*device, fingerprint, WallClock::now()))
        return refuse(plugin, name, address, "client certificate expired");
    if (event.username != nullptr && device->id != event.username)
        return refuse(plugin, name, address, "username differs from the certificate's device");
    const char* client_id = mosquitto_client_id(event.client);
    if (client_id == nullptr || has_forbidden_characters(client_id) ||
        !device_side_client_id(client_id))
        return refuse(plugin, name, address, "client id is reserved for app users and claimants");
    if (plugin.settings.require_client_id_match && device->id != client_id)
        return refuse(plugin, name, address, "client id differs from device id");
    if (device->id != client_id && plugin.devices.find(std::string_view(client_id)) != nullptr)
        return refuse(plugin, name, address, "client id is another device's id");
    // The broker's username is the device id whatever the client sent, so logs, kicks by
    // username and any other plugin see the same identity as for a password device.
    if (event.username == nullptr && mosquitto_set_username(event.client, name) != MOSQ_ERR_SUCCESS)
        return refuse(plugin, name, address, "cannot set the username");

    ++plugin.counters.auth_accepted;
    Session session{device->id,           client_id,    fingerprint, device->kind_name,
                    device->topic_prefix, device->kind, true};
    SessionRegistry::Opened opened = plugin.sessions.opened(event.client, std::move(session));
    if (opened.went_offline)
        plugin.presence.record({std::move(*opened.went_offline), false, WallClock::now(), {}});
    if (opened.now_online)
        plugin.presence.record({device->id, true, WallClock::now(), {}});
    plugin.sessions.mark_previous_credential(event.client, false);
    for (const CertificateRecord& active : device->certificates) {
        if (active.fingerprint == fingerprint)
            plugin.certificate_ends.emplace(active.not_after, device->id);
    }
    LOG_DEBUG("access", "accepted %s by client certificate", name);
    return MOSQ_ERR_SUCCESS;
}

int authenticate(AccessPlugin& plugin, const mosquitto_evt_basic_auth& event) {
    const char* address = mosquitto_client_address(event.client);
    if (address == nullptr)
        address = "?";
    // Non-null only on a listener with require_certificate: every client there has one.
    if (X509Ptr certificate{static_cast<X509*>(mosquitto_client_certificate(event.client))})
        return authenticate_certificate(plugin, event, certificate.get(), address);
    if (event.username == nullptr) {
        // Anonymous clients are for the broker's allow_anonymous to decide, but never on a
        // device's client id.
        const char* client_id = mosquitto_client_id(event.client);
        if (client_id != nullptr && plugin.devices.loaded() &&
            plugin.devices.find(std::string_view(client_id)) != nullptr)
            return refuse(plugin, "(anonymous)", address, "client id is a device's id");
        return MOSQ_ERR_PLUGIN_DEFER;
    }
    if (!names_known_identity(plugin, event.username) && address_exhausted(plugin, address))
        return MOSQ_ERR_AUTH;
    const char* client_id = mosquitto_client_id(event.client);
    std::string_view username(event.username);
    if (!plugin.devices.loaded()) {
        // Fail loudly: dropping the connection without CONNACK makes the device retry, where
        // "not authorised" would look permanent to it.
        ++plugin.counters.auth_unavailable;
        LOG_WARN("access", "refusing %s: device list not loaded yet", event.username);
        return MOSQ_ERR_UNKNOWN;
    }
    // integration:<name>: ':' is in neither a device id nor an app username, so no overlap.
    // Its client ids carry a ':' or are assigned, so never a device's (device_side_client_id).
    if (std::string_view name = integration_name_of(username); !name.empty())
        return authenticate_integration(plugin, event, name, address, client_id);
    // Identities become topic levels and ACL keys: wildcards and separators are never valid.
    // Checked once the username is known to be ours, so other plugins' clients keep theirs.
    const DeviceRecord* device = plugin.devices.find(username);
    bool ours = device != nullptr || plugin.app_users.find(username) != nullptr;
    if (ours && (has_forbidden_characters(event.username) || has_forbidden_characters(client_id)))
        return refuse(plugin, event.username, address, "+, # or / in username or client id");
    if (device == nullptr) {
        if (client_id != nullptr && plugin.devices.find(std::string_view(client_id)) != nullptr)
            return refuse(plugin, event.username, address, "client id is a device's id");
        return authenticate_app_user(plugin, event, address, client_id);
    }

    if (device->revoked())
        return refuse(plugin, event.username, address, "device revoked");
    if (device->kind == nullptr)
        return refuse(plugin, event.username, address, "unknown device kind");
    if (client_id == nullptr || !device_side_client_id(client_id))
        return refuse(plugin, event.username, address,
                      "client id is reserved for app users and claimants");
    if (plugin.settings.require_client_id_match && username != client_id)
        return refuse(plugin, event.username, address, "client id differs from device id");
    if (username != client_id && plugin.devices.find(std::string_view(client_id)) != nullptr)
        return refuse(plugin, event.username, address, "client id is another device's id");
    if (event.password == nullptr)
        return refuse(plugin, event.username, address, "no password");
    crypto::Digest presented = credential_hash(plugin.settings.pepper, event.password);
    CredentialMatch match = match_credential(*device, presented, WallClock::now());
    if (match == CredentialMatch::none)
        return refuse(plugin, event.username, address, "wrong credential");

    ++plugin.counters.auth_accepted;
    if (match == CredentialMatch::previous)
        ++plugin.counters.auth_accepted_previous;
    Session session{device->id,        client_id ? client_id : "", presented,
                    device->kind_name, device->topic_prefix,       device->kind};
    SessionRegistry::Opened opened = plugin.sessions.opened(event.client, std::move(session));
    if (opened.went_offline)
        plugin.presence.record({std::move(*opened.went_offline), false, WallClock::now(), {}});
    if (opened.now_online)
        plugin.presence.record({device->id, true, WallClock::now(), {}});
    plugin.sessions.mark_previous_credential(event.client, match == CredentialMatch::previous);
    if (match == CredentialMatch::previous)
        plugin.note_grace_end(*device);
    LOG_DEBUG("access", "accepted %s%s", event.username,
              match == CredentialMatch::previous ? " (previous credential, in grace)" : "");
    return MOSQ_ERR_SUCCESS;
}

} // namespace

int on_basic_auth(int, void* event_data, void* userdata) {
    return plugin::guarded("access", MOSQ_ERR_AUTH, [&] {
        return authenticate(*static_cast<AccessPlugin*>(userdata),
                            *static_cast<mosquitto_evt_basic_auth*>(event_data));
    });
}

} // namespace sarang::access
