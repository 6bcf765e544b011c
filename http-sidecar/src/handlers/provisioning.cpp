// POST /api/v1/devices/auto-register (seed 000's device-facing endpoint) and
// POST /api/v1/devices/claim (the user's claim with the device's label PIN).
//
// auto-register is the HTTP door to the same registration the broker's provisioning plugin
// does over MQTT (core/provisioning): the factory secret, then a new device or, only with its
// PIN, a new credential for an existing one. claim gives an unowned device to the caller;
// wrong PINs count per device and user, per user, and against the device's ceiling (shared with
// auto-register), and the device's owner
// is revealed (409) only to someone who proved its PIN.
#include "sarang/provisioning.hpp"
#include "auth/brokers_applied.hpp"
#include "auth/caller.hpp"
#include "auth/secret_check.hpp"
#include "handlers.hpp"
#include "handlers/home_field.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "sarang/device_kinds.hpp"

namespace sarang::http {
namespace {

provisioning::Settings registration_settings(const Services& services) {
    provisioning::Settings settings;
    settings.pepper = services.pepper;
    settings.argon2 = services.auth.argon2;
    settings.device_rule = services.auth.account;
    settings.address_rule = services.auth.address;
    settings.default_kind = services.provision.default_kind;
    return settings;
}

// The factory secret, guarded per client address: guessing it is as throttled as a password.
long long require_factory_secret(Services& services, const Request& request,
                                 const std::string& presented) {
    std::vector<ThrottleKey> keys = {{"factory-secret-address",
                                      throttle_address(request.client_address),
                                      services.auth.address}};
    DbPool::Lease db = services.db.acquire();
    // Admitted and counted before the secret is looked up, so parallel guesses share the limit.
    Attempt attempt = admit_attempt(*db, keys);
    if (attempt.refused)
        throw HttpError(lockout_response(*attempt.refused, "factory secret attempts"));
    if (std::optional<long long> id =
            provisioning::live_factory_secret(*db, services.pepper, presented)) {
        release_attempt(*db, keys, attempt, false); // the address's count is never forgotten
        return *id;
    }
    provisioning::audit(*db, std::nullopt, "", request.client_address, "auto_register", "failure",
                        "{\"via\":\"http\",\"result\":\"invalid_factory_secret\"}");
    const FailureOutcome& outcome = attempt.failure;
    if (outcome.lockout)
        throw HttpError(lockout_response(*outcome.lockout, "factory secret attempts"));
    throw HttpError(401, "invalid_factory_secret", "factory_secret is not a live factory secret");
}

Response auto_register(Services& services, const Request& request) {
    json::Ptr body = json_object_body(request);
    provisioning::Request registration;
    registration.device_id = required_string(body.get(), "device_id");
    registration.pin = required_string(body.get(), "pin_code");
    std::string factory_secret = required_string(body.get(), "factory_secret");
    registration.kind = optional_string(body.get(), "kind").value_or("");
    registration.via = "http";
    registration.client_address = request.client_address;
    registration.factory_secret_id = require_factory_secret(services, request, factory_secret);

    provisioning::WithDb with_db = [&services](const auto& work) {
        DbPool::Lease db = services.db.acquire();
        work(*db);
    };
    provisioning::Outcome outcome =
        provisioning::register_device(with_db, registration_settings(services), registration);
    switch (outcome.status) {
    case provisioning::Status::registered:
    case provisioning::Status::reissued:
        await_brokers(services.db); // the device connects right after this answer
        break;
    case provisioning::Status::invalid_request:
        fail_validation(outcome.field, outcome.message.substr(outcome.field.size() + 1));
    case provisioning::Status::invalid_pin: {
        json::Ptr error = error_object(outcome.code, outcome.message);
        json::set(error.get(), "remainingAttempts",
                  json::own(json_integer(outcome.remaining_attempts)));
        throw HttpError(json_response(401, error.get()));
    }
    case provisioning::Status::locked_out:
        throw HttpError(lockout_response(
            {std::chrono::system_clock::now() + outcome.retry_after, outcome.retry_after},
            "PIN attempts"));
    case provisioning::Status::refused:
    case provisioning::Status::conflict:
        throw HttpError(409, outcome.code, outcome.message);
    }
    json::Ptr reply = json::own(json_object());
    auto put = [&](const char* key, const std::string& value) {
        json::set(reply.get(), key, json::own(json_string(value.c_str())));
    };
    bool created = outcome.status == provisioning::Status::registered;
    put("status", created ? "registered" : "reissued");
    put("device_id", outcome.device_id);
    put("kind", outcome.kind);
    put("topic_prefix", outcome.topic_prefix);
    put("mqtt_username", outcome.device_id);
    put("mqtt_client_id", outcome.device_id);
    put("mqtt_password", outcome.credential);
    put("broker_host", services.provision.broker_host);
    json::set(reply.get(), "broker_port", json::own(json_integer(services.provision.broker_port)));
    put("message", outcome.message);
    return json_response(created ? 201 : 200, reply.get());
}

// The device id as a person types it: a MAC with or without colons, or a plain device id.
std::string claimed_id(const std::string& raw) {
    if (std::optional<std::string> mac = provisioning::normalize_device_id(raw))
        return *mac;
    if (!valid_device_id(raw))
        fail_validation("device_id", "must be a device id (e.g. 441D64BE2208)");
    return raw;
}

Response claim(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string id = claimed_id(required_string(body.get(), "device_id"));
    std::string pin = required_string(body.get(), "pin_code");
    std::optional<long long> home = home_field(services, body.get(), caller.user_id, false);

    std::optional<std::string> pin_hash;
    {
        DbPool::Lease db = services.db.acquire();
        pg::Result row = db->exec("SELECT pin_hash FROM devices WHERE id = $1", {id});
        if (row.rows() == 1 && !row.is_null(0, 0))
            pin_hash = std::string(row.text(0, 0));
    }
    // An unknown device, or one without a label PIN, fails like a wrong PIN (same time, same
    // count): the endpoint does not tell which ids exist. This caller's count for the device
    // comes first, so a success forgets it; a stranger's failures never lock the owner's claim
    // (or the device's own re-registration), only the device-wide ceiling is shared.
    check_secret(services, request,
                 {SecretKind::pin,
                  {provisioning::caller_key(id, "user", std::to_string(caller.user_id),
                                            services.auth.account),
                   {"claim-user", std::to_string(caller.user_id), services.auth.account},
                   provisioning::ceiling_key(id)},
                  caller.user_id,
                  caller.username,
                  "claim_device"},
                 pin_hash, pin);

    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    pg::Result row = db->exec("SELECT owner_id, state FROM devices WHERE id = $1 FOR UPDATE", {id});
    if (row.rows() != 1)
        throw HttpError(404, "not_found", "no such device");
    std::string state(row.text(0, 1));
    std::string user = std::to_string(caller.user_id);
    auto audit_claim = [&](const char* outcome, const char* result) {
        provisioning::audit(*db, caller.user_id, caller.username, request.client_address,
                            "claim_device", outcome,
                            "{\"device_id\":\"" + id + "\",\"result\":\"" + result + "\"}");
    };
    if (state == "revoked") {
        audit_claim("denied", "revoked");
        transaction.commit();
        throw HttpError(409, "device_revoked", "this device is revoked");
    }
    if (!row.is_null(0, 0) && row.text(0, 0) != user) {
        audit_claim("denied", "claimed_by_other");
        transaction.commit();
        throw HttpError(409, "already_claimed", "this device belongs to another account");
    }
    db->exec("UPDATE devices SET owner_id = $2, home_id = coalesce($3::bigint, home_id),"
             " state = CASE WHEN state = 'registered' THEN 'claimed' ELSE state END"
             " WHERE id = $1",
             {id, user, home ? std::optional<std::string>(std::to_string(*home)) : std::nullopt});
    audit_claim("success", row.is_null(0, 0) ? "claimed" : "already_yours");
    pg::Result device = db->exec("SELECT id, name, kind, topic_prefix, state, home_id"
                                 " FROM devices WHERE id = $1",
                                 {id});
    transaction.commit();
    await_brokers(*db); // the owner's app sessions may now read the device's topics

    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    json::set(reply.get(), "message", json::own(json_string("Device claimed")));
    json::Ptr out = json::own(json_object());
    const char* names[] = {"id", "name", "kind", "topic_prefix", "state"};
    for (int column = 0; column < 5; ++column)
        json::set(out.get(), names[column],
                  json::own(json_string(std::string(device.text(0, column)).c_str())));
    json::set(out.get(), "home_id",
              json::own(device.is_null(0, 5) ? json_null() : json_integer(device.integer(0, 5))));
    json::set(reply.get(), "device", std::move(out));
    return json_response(200, reply.get());
}

} // namespace

void add_provisioning_routes(Router& router, Services& services) {
    router.add("POST", "/api/v1/devices/auto-register",
               Access::anyone("a live factory secret in the body, checked by the handler"),
               bound(services, auto_register), Lane::slow);
    router.add("POST", "/api/v1/devices/claim", Access::user(), bound(services, claim), Lane::slow);
}

} // namespace sarang::http
