// SoftAP pre-registration (seed 002): POST /api/provision/register/ while the phone still has
// internet, GET /api/provision/status/{id} once it is back on the home network.
//
// Registering creates the device at once (state pre_registered, owned by the caller, in the
// caller's home) with its own credential, returned inside mqtt_config for the app to hand to
// the device over its access point. The device's first admitted MQTT connection marks the
// pre-registration provisioned and the device claimed (a trigger, sql/0007); a chip_id in its
// status message replaces the app's temporary one. Unused, it expires
// after provision.pre_registration_ttl_s and the broker's sweeper revokes the credential.
//
// Each pre-registration is a working credential, so a user gets a few: at most
// provision.pre_registrations_per_user_per_hour attempts an hour and
// provision.max_pending_pre_registrations outstanding (neither provisioned nor past expires_at)
// at a time; past either, 429 with Retry-After.
#include "auth/brokers_applied.hpp"
#include "auth/caller.hpp"
#include "auth/throttle.hpp"
#include "handlers.hpp"
#include "handlers/home_field.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/provisioning.hpp"
#include "time_text.hpp"

#include <cctype>

namespace sarang::http {
namespace {

constexpr const char* softap_kind = "env-sensor";

// An expired, never-used pre-registration stays visible on its status page this long, then its
// revoked device is deleted the next time its user pre-registers.
constexpr const char* expired_kept_for = "1 day";

// Every attempt counts (admitted and counted in one transaction, so a burst cannot pass the
// check together).
void admit_pre_registration(Services& services, long long user_id) {
    DbPool::Lease db = services.db.acquire();
    Attempt attempt =
        admit_attempt(*db, {{"pre-register-user", std::to_string(user_id),
                             per_hour(services.provision.pre_registrations_per_hour)}});
    if (attempt.refused)
        throw HttpError(lockout_response(*attempt.refused, "pre-registrations"));
}

// Inside the registering transaction, with the user's row locked so that concurrent requests
// of one user count each other: removes the user's long-expired pre-registrations and refuses
// when too many are still outstanding.
void check_pending(pg::Connection& db, const Services& services, long long user_id) {
    std::string user = std::to_string(user_id);
    db.exec("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", {user});
    db.exec("DELETE FROM devices d USING pre_registrations p"
            " WHERE p.device_id = d.id AND p.user_id = $1 AND p.provisioned_at IS NULL"
            " AND p.expired_at < now() - $2::interval AND d.state = 'revoked'",
            {user, expired_kept_for});
    pg::Result pending =
        db.exec("SELECT count(*), ceil(extract(epoch FROM min(expires_at) - now()))::bigint"
                " FROM pre_registrations WHERE user_id = $1 AND provisioned_at IS NULL"
                " AND expired_at IS NULL AND expires_at > now()",
                {user});
    long long max = services.provision.max_pending_pre_registrations;
    if (pending.integer(0, 0) < max)
        return;
    long long retry = std::max(1LL, pending.integer(0, 1));
    Response refused = error_response(
        429, "too_many_pending",
        "you have " + std::to_string(max) +
            " pre-registrations waiting for their device; finish one or wait until one expires");
    refused.headers.emplace_back("Retry-After", std::to_string(retry));
    throw HttpError(std::move(refused));
}

bool plain_text(const std::string& text) {
    for (char c : text) {
        if (std::iscntrl(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

Response register_device(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string chip_id = required_string(body.get(), "chip_id");
    if (chip_id.size() > 64 || !plain_text(chip_id))
        fail_validation("chip_id", "must be 1-64 printable characters");
    long long home = *home_field(services, body.get(), caller.user_id, true);
    std::string name = optional_string(body.get(), "device_name").value_or("");
    if (name.empty())
        name = "ESP32 device";
    if (name.size() > 100 || !plain_text(name))
        fail_validation("device_name", "must be 1-100 printable characters");
    admit_pre_registration(services, caller.user_id);

    // The node name is the device's MQTT identity and topic level: random, so a guessed name
    // never collides with or points at someone else's device.
    std::vector<std::uint8_t> random = crypto::random_bytes(5);
    std::string node = "esp32_" + crypto::hex_encode(random.data(), random.size());
    const KindSpec* kind = find_kind(softap_kind);
    std::string prefix = default_topic_prefix(*kind, node);
    IssuedCredential credential = issue_credential(services.pepper);

    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    check_pending(*db, services, caller.user_id);
    db->exec("INSERT INTO devices (id, name, kind, topic_prefix, credential_hash, owner_id,"
             " home_id, state, registered_at, registered_via)"
             " VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7, 'pre_registered', now(),"
             " 'softap')",
             {node, name, softap_kind, prefix, crypto::hex_encode(credential.stored_hash),
              std::to_string(caller.user_id), std::to_string(home)});
    pg::Result row =
        db->exec("INSERT INTO pre_registrations (device_id, user_id, home_id, chip_id, expires_at)"
                 " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::bigint))"
                 " RETURNING id, " +
                     iso8601_sql("expires_at"),
                 {node, std::to_string(caller.user_id), std::to_string(home), chip_id,
                  std::to_string(services.provision.pre_registration_ttl.count())});
    provisioning::audit(*db, caller.user_id, caller.username, request.client_address,
                        "pre_register", "success",
                        "{\"device_id\":\"" + node + "\",\"via\":\"softap\"}");
    transaction.commit();
    await_brokers(*db);

    json::Ptr reply = json::own(json_object());
    auto put = [](json_t* object, const char* key, const std::string& value) {
        json::set(object, key, json::own(json_string(value.c_str())));
    };
    put(reply.get(), "provisioning_id", std::string(row.text(0, 0)));
    put(reply.get(), "expires_at", std::string(row.text(0, 1)));
    json::Ptr mqtt = json::own(json_object());
    put(mqtt.get(), "broker_host", services.provision.broker_host);
    json::set(mqtt.get(), "broker_port", json::own(json_integer(services.provision.broker_port)));
    put(mqtt.get(), "topic_prefix", prefix);
    put(mqtt.get(), "node_name", node);
    put(mqtt.get(), "client_id", node);
    put(mqtt.get(), "username", node);
    put(mqtt.get(), "password", credential.token);
    json::set(reply.get(), "mqtt_config", std::move(mqtt));
    return json_response(201, reply.get());
}

bool uuid_text(const std::string& text) {
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
            return false;
    }
    return true;
}

Response status(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    const std::string& id = *request.param("id");
    if (!uuid_text(id))
        throw HttpError(404, "not_found", "no such provisioning");
    DbPool::Lease db = services.db.acquire();
    pg::Result row =
        db->exec("SELECT p.id, p.provisioned_at IS NOT NULL, p.device_id, " +
                     iso8601_sql("p.provisioned_at") +
                     ", coalesce(p.reported_chip_id, p.chip_id), " + iso8601_sql("p.expires_at") +
                     ", p.expired_at IS NOT NULL, d.state, p.chip_id"
                     " FROM pre_registrations p JOIN devices d ON d.id = p.device_id"
                     " WHERE p.id = $1::uuid AND ($2 OR p.user_id = $3)",
                 {id, caller.admin() ? "true" : "false", std::to_string(caller.user_id)});
    if (row.rows() != 1)
        throw HttpError(404, "not_found", "no such provisioning");
    json::Ptr reply = json::own(json_object());
    auto text = [&](int column) {
        return row.is_null(0, column)
                   ? json::own(json_null())
                   : json::own(json_string(std::string(row.text(0, column)).c_str()));
    };
    json::set(reply.get(), "provisioning_id", text(0));
    json::set(reply.get(), "is_provisioned", json::own(json_boolean(row.boolean(0, 1))));
    json::set(reply.get(), "device_id", text(2));
    json::set(reply.get(), "connected_at", text(3));
    json::set(reply.get(), "chip_id", text(4));
    json::set(reply.get(), "expires_at", text(5));
    json::set(reply.get(), "is_expired", json::own(json_boolean(row.boolean(0, 6))));
    json::set(reply.get(), "device_state", text(7));
    json::set(reply.get(), "temporary_chip_id", text(8));
    return json_response(200, reply.get());
}

} // namespace

void add_softap_routes(Router& router, Services& services) {
    // Slow lane: it waits for the broker nodes (await_brokers).
    router.add("POST", "/api/provision/register/", Access::user(), bound(services, register_device),
               Lane::slow);
    router.add("GET", "/api/provision/status/{id}", Access::user(), bound(services, status));
}

} // namespace sarang::http
