#pragma once
// Checking a password or PIN the way every endpoint must: admit the attempt first (refused while
// locked out; otherwise counted as a failure against every throttle key in the same transaction,
// sarang/throttle_store's admit_attempt), verify with argon2id without holding a database
// connection, and on success forget the account's failures and give the other keys their count
// back; audit each outcome.
#include "auth/audit.hpp"
#include "auth/throttle.hpp"
#include "router.hpp"
#include "services.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sarang::http {

enum class SecretKind { password, pin };

struct SecretCheck {
    SecretKind kind;
    std::vector<ThrottleKey> keys; // the first is the account's
    std::optional<long long> user_id;
    std::string username;
    std::string action; // audit action: login, verify_pin, ...
};

// Throws HttpError 429 (locked out, now or by this failure) or 401 (invalid_credentials /
// invalid_pin with remainingAttempts). `encoded` nullopt: no such account; the time of a
// verification is spent anyway so that timing does not reveal which usernames exist.
void check_secret(Services& services, const Request& request, const SecretCheck& check,
                  const std::optional<std::string>& encoded, std::string_view presented);

// Throttle keys: per account and per client address (an IPv6 client by its /64). Password
// checks share one account key whether they come from login or change-password, so a session
// holder gets no second guessing budget.
std::vector<ThrottleKey> login_keys(const Services& services, const std::string& username,
                                    const Request& request);
std::vector<ThrottleKey> pin_keys(const Services& services, long long user_id,
                                  const Request& request);
std::string throttle_address(const std::string& client_address);

void record_audit(Services& services, const Request& request, std::optional<long long> user_id,
                  const std::string& username, const std::string& action,
                  const std::string& outcome, json::Ptr detail = nullptr);

} // namespace sarang::http
