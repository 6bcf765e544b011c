#include "sarang/auth_settings.hpp"

#include "sarang/config.hpp"

namespace sarang {
namespace {

long in_range(const Config& config, const char* key, long min, long max) {
    long value = config.integer(key);
    if (value < min || value > max)
        throw ConfigError(std::string(key) + " must be between " + std::to_string(min) + " and " +
                          std::to_string(max));
    return value;
}

} // namespace

AuthSettings auth_settings_from_config(const Config& config) {
    AuthSettings settings;
    settings.argon2.memory_kib =
        static_cast<std::uint32_t>(in_range(config, "auth.argon2_memory_kib", 8192, 4 << 20));
    settings.argon2.time_cost =
        static_cast<std::uint32_t>(in_range(config, "auth.argon2_time_cost", 1, 20));
    settings.argon2.parallelism =
        static_cast<std::uint32_t>(in_range(config, "auth.argon2_parallelism", 1, 16));
    settings.session_ttl =
        std::chrono::hours(in_range(config, "auth.session_ttl_hours", 1, 24 * 90));
    settings.allow_registration = config.boolean("auth.allow_registration");

    settings.account.lock_after =
        static_cast<int>(in_range(config, "auth.lockout_after_failures", 1, 100));
    settings.account.base = std::chrono::seconds(in_range(config, "auth.lockout_base_s", 1, 3600));
    settings.account.max = std::chrono::seconds(in_range(config, "auth.lockout_max_s", 1, 86400));
    if (settings.account.max < settings.account.base)
        throw ConfigError("auth.lockout_max_s must not be below auth.lockout_base_s");
    settings.account.forget_after = std::max(std::chrono::seconds(3600), settings.account.max * 2);

    // Many people can share one address (NAT, an office), so it gets more room before locking.
    settings.address = settings.account;
    settings.address.lock_after =
        static_cast<int>(in_range(config, "auth.address_lockout_after_failures", 1, 10000));

    settings.register_address = settings.account;
    settings.register_address.lock_after =
        static_cast<int>(in_range(config, "auth.registrations_per_address_per_hour", 1, 10000));
    settings.register_address.base = std::chrono::seconds(3600);
    settings.register_address.max = std::chrono::seconds(3600);
    settings.register_address.forget_after = std::chrono::seconds(3600);
    return settings;
}

} // namespace sarang
