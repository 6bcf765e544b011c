#include "sarang/config.hpp"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef SARANG_DATA_DIR
#define SARANG_DATA_DIR "."
#endif

namespace sarang {
namespace {

enum class Type { string, integer, boolean };

struct KeySpec {
    std::string_view key;
    Type type;
    const char* fallback; // nullptr: required, no default
};

// The one list of settings. docs/configuration.md explains each of them.
constexpr KeySpec schema[] = {
    {"db.dsn", Type::string, nullptr},
    {"db.migrations_dir", Type::string, SARANG_DATA_DIR "/sql"},
    {"auth.pepper", Type::string, nullptr},
    {"auth.argon2_memory_kib", Type::integer, "47104"},
    {"auth.argon2_time_cost", Type::integer, "2"},
    {"auth.argon2_parallelism", Type::integer, "1"},
    {"auth.session_ttl_hours", Type::integer, "24"},
    {"auth.allow_registration", Type::boolean, "true"},
    {"auth.lockout_after_failures", Type::integer, "3"},
    {"auth.lockout_base_s", Type::integer, "30"},
    {"auth.lockout_max_s", Type::integer, "900"},
    {"auth.address_lockout_after_failures", Type::integer, "20"},
    {"auth.registrations_per_address_per_hour", Type::integer, "10"},
    {"auth.device_cookie_days", Type::integer, "180"},
    {"access.require_client_id_match", Type::boolean, "true"},
    {"access.initial_load_timeout_ms", Type::integer, "5000"},
    {"access.connect_failures_per_minute", Type::integer, "10"},
    {"access.rotation_grace_s", Type::integer, "86400"},
    {"broker.node_name", Type::string, ""},
    {"provision.default_kind", Type::string, "relay"},
    {"provision.requests_per_connection", Type::integer, "5"},
    {"provision.pre_registration_ttl_s", Type::integer, "3600"},
    {"provision.pre_registrations_per_user_per_hour", Type::integer, "20"},
    {"provision.max_pending_pre_registrations", Type::integer, "5"},
    {"provision.broker_host", Type::string, "127.0.0.1"},
    {"provision.broker_port", Type::integer, "1883"},
    {"telemetry.batch_max", Type::integer, "20000"},
    {"telemetry.batch_interval_ms", Type::integer, "50"},
    {"telemetry.journal_max_mb", Type::integer, "1024"},
    {"telemetry.journal_segment_mb", Type::integer, "64"},
    {"telemetry.journal_sync_ms", Type::integer, "1000"},
    {"telemetry.retention_days", Type::integer, "90"},
    {"telemetry.rollup_retention_days", Type::integer, "730"},
    {"presence.retention_days", Type::integer, "90"},
    {"audit.retention_days", Type::integer, "365"},
    {"retention.interval_seconds", Type::integer, "3600"},
    {"http.bind", Type::string, "127.0.0.1"},
    {"http.port", Type::integer, "8080"},
    {"http.threads", Type::integer, "2"},
    {"http.db_pool_size", Type::integer, "4"},
    {"http.max_body_bytes", Type::integer, "65536"},
    {"http.slow_workers", Type::integer, "2"},
    {"http.slow_queue", Type::integer, "64"},
    {"http.session_purge_interval_s", Type::integer, "600"},
    {"http.public_url", Type::string, ""},
    {"http.max_streams", Type::integer, "256"},
    {"http.max_streams_per_user", Type::integer, "8"},
    {"http.stream_heartbeat_s", Type::integer, "15"},
    {"http.web_dir", Type::string, ""},
    {"http.trusted_proxies", Type::string, ""},
    {"http.client_address_header", Type::string, "x-forwarded-for"},
    {"http.proxy_protocol_port", Type::integer, "0"},
    {"http.tls_cert_file", Type::string, ""},
    {"http.tls_key_file", Type::string, ""},
    {"http.hsts_max_age", Type::integer, "31536000"},
    {"http.redirect_port", Type::integer, "0"},
    {"http.loopback_port", Type::integer, "0"},
    {"gowa.base_url", Type::string, ""},
    {"gowa.username", Type::string, ""},
    {"gowa.password", Type::string, ""},
    {"gowa.timeout_ms", Type::integer, "10000"},
    {"notify.max_attempts", Type::integer, "12"},
    {"notify.allow_private_webhooks", Type::boolean, "false"},
    {"notify.offline_after_s", Type::integer, "600"},
    {"notify.retry_base_ms", Type::integer, "2000"},
    {"notify.image_url_ttl_s", Type::integer, "86400"},
    {"notifications.retention_days", Type::integer, "90"},
    {"commands.retention_days", Type::integer, "90"},
    {"vending.midtrans_server_key", Type::string, ""},
    {"vending.dispense_timeout_ms", Type::integer, "2150"},
    {"vending.result_grace_ms", Type::integer, "5000"},
    {"vending.dispense_on_payment", Type::boolean, "true"},
    {"storage.dir", Type::string, "/var/lib/sarang/storage"},
    {"storage.max_upload_bytes", Type::integer, "5242880"},
    {"storage.uploads_per_device", Type::integer, "1"},
    {"storage.upload_timeout_s", Type::integer, "120"},
    {"storage.sweep_interval_s", Type::integer, "3600"},
    {"storage.sweep_grace_s", Type::integer, "600"},
    {"parcel.photo_retention_days", Type::integer, "365"},
    {"log.level", Type::string, "info"},
};

const KeySpec* find_spec(std::string_view key) {
    for (const KeySpec& spec : schema) {
        if (spec.key == key)
            return &spec;
    }
    return nullptr;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

bool parse_integer(const std::string& text, long& out) {
    if (text.empty())
        return false;
    errno = 0;
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    out = value;
    return true;
}

bool parse_boolean(std::string_view text, bool& out) {
    if (text == "true" || text == "yes" || text == "on" || text == "1") {
        out = true;
        return true;
    }
    if (text == "false" || text == "no" || text == "off" || text == "0") {
        out = false;
        return true;
    }
    return false;
}

void check_type(const KeySpec& spec, const std::string& value, const std::string& where) {
    long integer = 0;
    bool boolean = false;
    if (spec.type == Type::integer && !parse_integer(value, integer))
        throw ConfigError(where + ": " + std::string(spec.key) + " must be an integer, not '" +
                          value + "'");
    if (spec.type == Type::boolean && !parse_boolean(value, boolean))
        throw ConfigError(where + ": " + std::string(spec.key) + " must be true or false, not '" +
                          value + "'");
}

} // namespace

std::string Config::env_name(std::string_view key) {
    std::string name = "SARANG_";
    for (char c : key)
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

Config Config::parse(std::string_view text, std::string_view origin, const EnvLookup& env) {
    Config config;
    config.origin_ = origin;
    std::istringstream lines{std::string(text)};
    std::string raw;
    for (int number = 1; std::getline(lines, raw); ++number) {
        std::string where = std::string(origin) + ":" + std::to_string(number);
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#')
            continue;
        size_t equals = line.find('=');
        if (equals == std::string_view::npos)
            throw ConfigError(where + ": expected 'key = value'");
        std::string_view key = trim(line.substr(0, equals));
        std::string value{trim(line.substr(equals + 1))};
        const KeySpec* spec = find_spec(key);
        if (spec == nullptr)
            throw ConfigError(where + ": unknown key '" + std::string(key) + "'");
        if (config.values_.contains(key))
            throw ConfigError(where + ": '" + std::string(key) + "' is set twice");
        check_type(*spec, value, where);
        config.values_.emplace(std::string(key), std::move(value));
    }
    for (const KeySpec& spec : schema) {
        std::string name = env_name(spec.key);
        if (const char* override_value = env ? env(name.c_str()) : nullptr) {
            check_type(spec, override_value, "environment " + name);
            config.values_.insert_or_assign(std::string(spec.key), override_value);
        }
    }
    return config;
}

Config Config::load_file(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        throw ConfigError("cannot read config file " + path);
    std::stringstream text;
    text << file.rdbuf();
    return parse(text.str(), path, [](const char* name) { return std::getenv(name); });
}

bool Config::has(std::string_view key) const {
    return values_.contains(key);
}

std::string Config::string(std::string_view key) const {
    const KeySpec* spec = find_spec(key);
    if (spec == nullptr)
        throw ConfigError("unknown config key '" + std::string(key) + "'");
    if (auto found = values_.find(key); found != values_.end())
        return found->second;
    if (spec->fallback == nullptr)
        throw ConfigError(origin_ + ": '" + std::string(key) + "' is required (or set " +
                          env_name(key) + ")");
    return spec->fallback;
}

long Config::integer(std::string_view key) const {
    long value = 0;
    std::string text = string(key);
    if (!parse_integer(text, value))
        throw ConfigError("'" + std::string(key) + "' is not an integer");
    return value;
}

long Config::integer_in(std::string_view key, long min, long max) const {
    long value = integer(key);
    if (value < min || value > max)
        throw ConfigError(std::string(key) + " must be between " + std::to_string(min) + " and " +
                          std::to_string(max));
    return value;
}

bool Config::boolean(std::string_view key) const {
    bool value = false;
    if (!parse_boolean(string(key), value))
        throw ConfigError("'" + std::string(key) + "' is not a boolean");
    return value;
}

} // namespace sarang
