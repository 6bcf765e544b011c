#pragma once
// Device credentials: a 256-bit random token shown once, stored as HMAC-SHA256(pepper, token).
// The token has full entropy, so a keyed fast hash is enough and keeps CONNECT cheap; the pepper
// (auth.pepper in sarang.conf, outside the database) makes a stolen table useless on its own.
#include "sarang/crypto.hpp"

#include <string>
#include <string_view>

namespace sarang {

class Config;

struct IssuedCredential {
    std::string token;          // give to the device once; never stored
    crypto::Digest stored_hash; // what the database keeps
};

// Reads auth.pepper (hex, at least 32 bytes); throws ConfigError when missing or too short.
std::string pepper_from_config(const Config& config);

IssuedCredential issue_credential(std::string_view pepper);
crypto::Digest credential_hash(std::string_view pepper, std::string_view token);
// Constant time in the token's content.
bool credential_matches(std::string_view pepper, std::string_view presented,
                        const crypto::Digest& stored_hash);

} // namespace sarang
