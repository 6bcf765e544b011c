#include "sarang/auth_settings.hpp"

#include "sarang/config.hpp"

namespace sarang {
AuthSettings auth_settings_from_config(const Config& config) {
    AuthSettings settings;
    settings.argon2.memory_kib =
        static_cast<std::uint32_t>(config.integer_in("auth.argon2_memory_kib", 8192, 4 << 20));
    settings.argon2.time_cost =
        static_cast<std::uint32_t>(config.integer_in("auth.argon2_time_cost", 1, 20));
    settings.argon2.parallelism =
        static_cast<std::uint32_t>(config.integer_in("auth.argon2_parallelism", 1, 16));
    settings.session_ttl =
        std::chrono::hours(config.integer_in("auth.session_ttl_hours", 1, 24 * 90));
    settings.allow_registration = config.boolean("auth.allow_registration");

    settings.account.lock_after =
        static_cast<int>(config.integer_in("auth.lockout_after_failures", 1, 100));
    settings.account.base = std::chrono::seconds(config.integer_in("auth.lockout_base_s", 1, 3600));
    settings.account.max = std::chrono::seconds(config.integer_in("auth.lockout_max_s", 1, 86400));
    if (settings.account.max < settings.account.base)
        throw ConfigError("auth.lockout_max_s must not be below auth.lockout_base_s");
    settings.account.forget_after = std::max(std::chrono::seconds(3600), settings.account.max * 2);

    // Many people can share one address (NAT, an office), so it gets more room before locking.
    settings.address = settings.account;
    settings.address.lock_after =
        static_cast<int>(config.integer_in("auth.address_lockout_after_failures", 1, 10000));

    settings.device_cookie_ttl =
        std::chrono::days(config.integer_in("auth.device_cookie_days", 1, 3650));
    settings.register_address = settings.account;
    settings.register_address.lock_after =
        static_cast<int>(config.integer_in("auth.registrations_per_address_per_hour", 1, 10000));
    settings.register_address.base = std::chrono::seconds(3600);
    settings.register_address.max = std::chrono::seconds(3600);
    settings.register_address.forget_after = std::chrono::seconds(3600);
    return settings;
}

} // namespace sarang
