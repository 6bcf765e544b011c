#include "sarang/provisioning.hpp"

#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "sarang/log.hpp"

#include <cctype>

namespace sarang::provisioning {
namespace {

Outcome invalid(std::string field, std::string message) {
    Outcome outcome;
    outcome.status = Status::invalid_request;
    outcome.code = "validation_failed";
    outcome.field = std::move(field);
    outcome.message = std::move(message);
    return outcome;
}

Outcome with_status(Status status, std::string code, std::string message) {
    Outcome outcome;
    outcome.status = status;
    outcome.code = std::move(code);
    outcome.message = std::move(message);
    return outcome;
}

std::string detail(const Request& request, const char* result,
                   std::optional<std::string> reason = std::nullopt) {
    json::Ptr object = json::own(json_object());
    json::set(object.get(), "via", json::own(json_string(request.via.c_str())));
    json::set(object.get(), "result", json::own(json_string(result)));
    if (!request.client_id.empty())
        json::set(object.get(), "client_id", json::own(json_string(request.client_id.c_str())));
    if (request.factory_secret_id)
        json::set(object.get(), "factory_secret_id",
                  json::own(json_integer(*request.factory_secret_id)));
    if (reason)
        json::set(object.get(), "reason", json::own(json_string(reason->c_str())));
    return json::dump(object.get());
}

struct Existing {
    std::string state, kind, topic_prefix;
    std::optional<std::string> pin_hash;
};

std::optional<Existing> load_device(pg::Connection& db, const std::string& id) {
    pg::Result row =
        db.exec("SELECT state, kind, topic_prefix, pin_hash FROM devices WHERE id = $1", {id});
    if (row.rows() != 1)
        return std::nullopt;
    Existing device{std::string(row.text(0, 0)), std::string(row.text(0, 1)),
                    std::string(row.text(0, 2)), std::nullopt};
    if (!row.is_null(0, 3))
        device.pin_hash = std::string(row.text(0, 3));
    return device;
}

constexpr const char* action = "auto_register";

} // namespace

std::optional<std::string> normalize_device_id(std::string_view raw) {
    std::string id;
    for (char c : raw) {
        if (c == ':')
            continue;
        if (!std::isxdigit(static_cast<unsigned char>(c)) || id.size() == 12)
            return std::nullopt;
        id += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (id.size() != 12)
        return std::nullopt;
    return id;
}

std::optional<std::string> label_pin_problem(std::string_view pin) {
    if (pin.size() < 4 || pin.size() > 32)
        return "must be 4-32 characters";
    for (char c : pin) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            return "must be letters and digits only";
    }
    return std::nullopt;
}

void audit(pg::Connection& db, const std::optional<long long>& user_id, const std::string& username,
           const std::string& client_address, const std::string& action_name,
           const std::string& outcome, const std::string& detail_json) {
    db.exec("INSERT INTO audit_log (user_id, username, client_address, action, outcome, detail)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
            {user_id ? std::optional<std::string>(std::to_string(*user_id)) : std::nullopt,
             username, client_address, action_name, outcome, detail_json});
}

std::optional<long long> live_factory_secret(pg::Connection& db, std::string_view pepper,
                                             std::string_view presented) {
    // The stored value is a keyed hash of a full-entropy secret: looking it up by equality
    // reveals nothing an attacker could steer (the same reasoning as device credentials).
    pg::Result row = db.exec("SELECT id FROM factory_secrets WHERE secret_hash = decode($1, 'hex')"
                             " AND (not_after IS NULL OR not_after > now())",
                             {crypto::hex_encode(credential_hash(pepper, presented))});
    if (row.rows() != 1)
        return std::nullopt;
    return row.integer(0, 0);
}

LockoutRule device_ceiling_rule() {
    // Remembered far longer than it locks: a guesser who waits for the count to be forgotten
    // gets 99 guesses a month, no more.
    return {100, std::chrono::hours(1), std::chrono::hours(24), std::chrono::days(30)};
}

ThrottleKey caller_key(const std::string& device_id, std::string_view caller_kind,
                       const std::string& caller, const LockoutRule& rule) {
    // One scope per kind of caller; the subject cannot be confused across devices, since a
    // device id has no space.
    return {"device-pin-" + std::string(caller_kind), device_id + " " + caller, rule};
}

ThrottleKey ceiling_key(const std::string& device_id) {
    return {"device-pin", device_id, device_ceiling_rule()};
}

Outcome register_device(const WithDb& with_db, const Settings& settings, const Request& request) {
    std::optional<std::string> id = normalize_device_id(request.device_id);
    if (!id)
        return invalid("device_id", "device_id must be the device's MAC address: 12 hex digits, "
                                    "colons allowed (e.g. 441D64BE2208)");
    if (auto problem = label_pin_problem(request.pin))
        return invalid("pin_code", "pin_code " + *problem);
    std::string kind_name = request.kind.empty() ? settings.default_kind : request.kind;
    const KindSpec* kind = find_kind(kind_name);
    if (kind == nullptr)
        return invalid("kind", "kind '" + kind_name + "' is not a device kind");

    std::vector<ThrottleKey> keys = {
        caller_key(*id, "address", request.client_address, settings.device_rule),
        {"provision-address", request.client_address, settings.address_rule},
        ceiling_key(*id)};
    std::optional<Lockout> locked;
    std::optional<Existing> existing;
    with_db([&](pg::Connection& db) {
        locked = current_lockout(db, keys);
        if (locked)
            audit(db, std::nullopt, *id, request.client_address, action, "locked",
                  detail(request, "locked_out"));
        else
            existing = load_device(db, *id);
    });
    auto locked_outcome = [&](const Lockout& lockout) {
        Outcome outcome = with_status(Status::locked_out, "locked_out",
                                      "too many wrong PINs for this device; try again in " +
                                          std::to_string(lockout.remaining.count()) + " seconds");
        outcome.retry_after = lockout.remaining;
        outcome.device_id = *id;
        return outcome;
    };
    if (locked)
        return locked_outcome(*locked);

    IssuedCredential credential = issue_credential(settings.pepper);
    std::string credential_hex = crypto::hex_encode(credential.stored_hash);

    if (!existing) {
        std::string pin_hash = crypto::argon2id_hash(request.pin, settings.argon2);
        std::string prefix = default_topic_prefix(*kind, *id);
        bool inserted = false;
        bool prefix_taken = false;
        with_db([&](pg::Connection& db) {
            try {
                pg::Transaction transaction(db);
                inserted = db.exec("INSERT INTO devices (id, name, kind, topic_prefix,"
                                   " credential_hash, pin_hash, registered_at, registered_via)"
                                   " VALUES ($1, $1, $2, $3, decode($4, 'hex'), $5, now(), $6)"
                                   " ON CONFLICT (id) DO NOTHING",
                                   {*id, kind_name, prefix, credential_hex, pin_hash, request.via})
                               .affected() == 1;
                if (inserted)
                    audit(db, std::nullopt, *id, request.client_address, action, "success",
                          detail(request, "registered"));
                transaction.commit();
            } catch (const pg::Error& error) {
                if (error.sqlstate() != "23505") // the prefix (unique or nested), not the id
                    throw;
                prefix_taken = true;
            }
        });
        if (prefix_taken) {
            with_db([&](pg::Connection& db) {
                audit(db, std::nullopt, *id, request.client_address, action, "denied",
                      detail(request, "conflict", "topic prefix " + prefix + " is taken"));
            });
            return with_status(Status::conflict, "prefix_taken",
                               "topic prefix " + prefix + " belongs to another device");
        }
        if (inserted) {
            Outcome outcome = with_status(Status::registered, "registered", "device registered");
            outcome.device_id = *id;
            outcome.kind = kind_name;
            outcome.topic_prefix = prefix;
            outcome.credential = std::move(credential.token);
            LOG_INFO("provision", "registered %s (kind %s) via %s", id->c_str(), kind_name.c_str(),
                     request.via.c_str());
            return outcome;
        }
        // Someone registered the id meanwhile: from here it is an existing device.
        with_db([&](pg::Connection& db) { existing = load_device(db, *id); });
        if (!existing)
            return with_status(Status::conflict, "busy", "the device changed meanwhile; retry");
    }

    if (existing->state == "revoked" || !existing->pin_hash) {
        const char* why = existing->state == "revoked" ? "revoked" : "no PIN on record";
        with_db([&](pg::Connection& db) {
            audit(db, std::nullopt, *id, request.client_address, action, "denied",
                  detail(request, "refused", why));
        });
        LOG_WARN("provision", "refused re-registration of %s via %s from %s: %s", id->c_str(),
                 request.via.c_str(), request.client_address.c_str(), why);
        return with_status(Status::refused, "not_reregistrable",
                           "this device is registered and cannot be re-registered this way");
    }

    // Admitted (and counted as a failure) before the PIN is verified, as every secret check:
    // parallel guesses cannot all pass the lockout check above.
    Attempt attempt;
    with_db([&](pg::Connection& db) {
        attempt = admit_attempt(db, keys);
        if (attempt.refused)
            audit(db, std::nullopt, *id, request.client_address, action, "locked",
                  detail(request, "locked_out"));
    });
    if (attempt.refused)
        return locked_outcome(*attempt.refused);
    if (!crypto::argon2id_verify(*existing->pin_hash, request.pin)) {
        const FailureOutcome& failure = attempt.failure;
        with_db([&](pg::Connection& db) {
            audit(db, std::nullopt, *id, request.client_address, action, "failure",
                  detail(request, "invalid_pin"));
        });
        LOG_WARN("provision", "wrong PIN for existing device %s via %s from %s", id->c_str(),
                 request.via.c_str(), request.client_address.c_str());
        if (failure.lockout)
            return locked_outcome(*failure.lockout);
        Outcome outcome = with_status(
            Status::invalid_pin, "invalid_pin",
            "this device is already registered; only its own label PIN can re-register it");
        outcome.remaining_attempts = failure.remaining_attempts;
        outcome.device_id = *id;
        return outcome;
    }

    bool rotated = false;
    with_db([&](pg::Connection& db) {
        release_attempt(db, keys, attempt);
        pg::Transaction transaction(db);
        // The PIN hash in the guard: a PIN changed since we read it was not the one proved.
        rotated = db.exec("UPDATE devices SET credential_hash = decode($2, 'hex'),"
                          " previous_credential_hash = NULL, previous_credential_expires_at = NULL,"
                          " registered_at = now(), registered_via = $4"
                          " WHERE id = $1 AND state <> 'revoked' AND pin_hash = $3",
                          {*id, credential_hex, *existing->pin_hash, request.via})
                      .affected() == 1;
        audit(db, std::nullopt, *id, request.client_address, action, rotated ? "success" : "denied",
              detail(request, rotated ? "reissued" : "changed"));
        transaction.commit();
    });
    if (!rotated)
        return with_status(Status::conflict, "busy", "the device changed meanwhile; retry");
    LOG_INFO("provision", "re-registered %s via %s (factory reset): new credential, old revoked",
             id->c_str(), request.via.c_str());
    Outcome outcome = with_status(Status::reissued, "reissued",
                                  "device re-registered: new credential, the old one is revoked");
    outcome.device_id = *id;
    outcome.kind = existing->kind;
    outcome.topic_prefix = existing->topic_prefix;
    outcome.credential = std::move(credential.token);
    return outcome;
}

} // namespace sarang::provisioning
