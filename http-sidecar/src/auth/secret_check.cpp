#include "secret_check.hpp"

#include "http_error.hpp"
#include "sarang/crypto.hpp"
#include "sarang/log.hpp"

#include <arpa/inet.h>
#include <cstring>

namespace sarang::http {
namespace {

// A hash of a random secret nobody knows, made once with the configured cost, so an unknown
// username costs as much as a wrong password.
const std::string& decoy_hash(const Services& services) {
    static const std::string hash =
        crypto::argon2id_hash(crypto::random_token(), services.auth.argon2);
    return hash;
}

} // namespace

void record_audit(Services& services, const Request& request, std::optional<long long> user_id,
                  const std::string& username, const std::string& action,
                  const std::string& outcome, json::Ptr detail) {
    DbPool::Lease db = services.db.acquire();
    audit(*db, {user_id, username, request.client_address, action, outcome, std::move(detail)});
}

void check_secret(Services& services, const Request& request, const SecretCheck& check,
                  const std::optional<std::string>& encoded, std::string_view presented) {
    const char* what = check.kind == SecretKind::pin ? "PIN attempts" : "sign-in attempts";
    // Admitted before the verification, and counted as a failure in the same transaction: a
    // burst of parallel guesses is refused once the rule's attempts are taken, instead of every
    // guess passing a lockout check that no failure has raised yet.
    Attempt attempt;
    {
        DbPool::Lease db = services.db.acquire();
        attempt = admit_attempt(*db, check.keys);
        if (attempt.refused) {
            audit(*db, {check.user_id, check.username, request.client_address, check.action,
                        "locked", nullptr});
            throw HttpError(lockout_response(*attempt.refused, what));
        }
    }
    bool valid = crypto::argon2id_verify(encoded ? *encoded : decoy_hash(services), presented) &&
                 encoded.has_value();
    DbPool::Lease db = services.db.acquire();
    if (valid) {
        release_attempt(*db, check.keys, attempt);
        return;
    }
    json::Ptr detail = json::own(json_object());
    if (!encoded && check.kind == SecretKind::password)
        json::set(detail.get(), "reason", json::own(json_string("unknown_user")));
    audit(*db, {check.user_id, check.username, request.client_address, check.action, "failure",
                std::move(detail)});
    const FailureOutcome& outcome = attempt.failure;
    // A PIN lockout is a security alert for the owner (the seed's WhatsApp alert), written after
    // the failure committed so that a problem with the alert can never undo the count. One per
    // lockout: the key is the lockout's end, so a retried request adds nothing.
    if (outcome.lockout && check.kind == SecretKind::pin && check.user_id) {
        json::Ptr data = json::own(json_object());
        json::set(data.get(), "remainingSeconds",
                  json::own(json_integer(outcome.lockout->remaining.count())));
        json::set(data.get(), "action", json::own(json_string(check.action.c_str())));
        long long until = std::chrono::duration_cast<std::chrono::seconds>(
                              outcome.lockout->until.time_since_epoch())
                              .count();
        try {
            db->exec(
                "INSERT INTO notifications (user_id, kind, data, dedupe_key)"
                " VALUES ($1, 'pin_lockout', $2::jsonb, $3)"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                {std::to_string(*check.user_id), json::dump(data.get()),
                 "pin_lockout:" + std::to_string(*check.user_id) + ":" + std::to_string(until)});
        } catch (const std::exception& error) {
            LOG_ERROR("httpd", "user %lld locked out, but the alert was not queued: %s",
                      *check.user_id, error.what());
        }
    }
    if (outcome.lockout)
        throw HttpError(lockout_response(*outcome.lockout, what));
    json::Ptr body = check.kind == SecretKind::pin
                         ? error_object("invalid_pin", "invalid PIN")
                         : error_object("invalid_credentials", "invalid username or password");
    json::set(body.get(), "remainingAttempts", json::own(json_integer(outcome.remaining_attempts)));
    throw HttpError(json_response(401, body.get()));
}

std::string throttle_address(const std::string& address) {
    in6_addr v6{};
    if (inet_pton(AF_INET6, address.c_str(), &v6) != 1)
        return address; // IPv4: one address is one client
    // One IPv6 client usually holds a whole /64: count the prefix, or rotating the interface
    // id would reset the count.
    std::memset(v6.s6_addr + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, text, sizeof text);
    return std::string(text) + "/64";
}

std::vector<ThrottleKey> login_keys(const Services& services, const std::string& username,
                                    const Request& request) {
    return {{"login-account", username, services.auth.account},
            {"login-address", throttle_address(request.client_address), services.auth.address}};
}

std::vector<ThrottleKey> pin_keys(const Services& services, long long user_id,
                                  const Request& request) {
    return {{"pin", std::to_string(user_id), services.auth.account},
            {"pin-address", throttle_address(request.client_address), services.auth.address}};
}

} // namespace sarang::http
