#include "sarang/credentials.hpp"

#include "sarang/config.hpp"

namespace sarang {

std::string pepper_from_config(const Config& config) {
    std::optional<std::string> pepper = crypto::hex_decode(config.string("auth.pepper"));
    if (!pepper || pepper->size() < 32)
        throw ConfigError("auth.pepper must be at least 64 hex digits (32 random bytes); "
                          "generate one with: openssl rand -hex 32");
    return *pepper;
}

crypto::Digest credential_hash(std::string_view pepper, std::string_view token) {
    return crypto::hmac_sha256(pepper, token);
}

IssuedCredential issue_credential(std::string_view pepper) {
    std::string token = crypto::random_token();
    crypto::Digest hash = credential_hash(pepper, token);
    return {std::move(token), hash};
}

bool credential_matches(std::string_view pepper, std::string_view presented,
                        const crypto::Digest& stored_hash) {
    crypto::Digest computed = credential_hash(pepper, presented);
    return crypto::constant_time_equal(computed, stored_hash);
}

} // namespace sarang
