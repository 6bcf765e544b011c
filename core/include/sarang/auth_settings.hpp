#pragma once
// The auth.* settings of sarang.conf that the sidecar and sarangctl share, read and range-checked
// in one place.
#include "sarang/crypto.hpp"
#include "sarang/lockout.hpp"

#include <chrono>

namespace sarang {

class Config;

struct AuthSettings {
    crypto::Argon2Params argon2;
    std::chrono::seconds session_ttl{24 * 3600};
    bool allow_registration = true;
    LockoutRule account;          // per username (logins) or per user (PIN and password checks)
    LockoutRule address;          // per client address, across accounts
    LockoutRule register_address; // account creation per client address
    // A device cookie (sign-in from a known browser or app) unused this long is forgotten.
    std::chrono::days device_cookie_ttl{180};
};

// Throws ConfigError naming the key that is out of range.
AuthSettings auth_settings_from_config(const Config& config);

} // namespace sarang
