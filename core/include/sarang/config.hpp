#pragma once
// sarang.conf: one file read by the plugins (plugin_opt_config), the sidecar and sarangctl.
//
//   # comment
//   key = value
//
// Every key is declared in one schema (config.cpp) with its type and default, so a typo is an
// error with a line number instead of a silently ignored setting. An environment variable named
// SARANG_ + the key upper-cased with dots as underscores (db.dsn -> SARANG_DB_DSN) overrides
// the file. Keys without a default are required by whoever reads them; there are no default
// secrets.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sarang {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Config {
  public:
    using EnvLookup = std::function<const char*(const char*)>;

    // Throws ConfigError naming the file and line of the first problem.
    static Config load_file(const std::string& path);
    static Config parse(std::string_view text, std::string_view origin, const EnvLookup& env);

    // Throw ConfigError when the key is unknown, or unset with no default.
    std::string string(std::string_view key) const;
    long integer(std::string_view key) const;
    // integer(), and ConfigError naming the key and the range when outside [min, max].
    long integer_in(std::string_view key, long min, long max) const;
    bool boolean(std::string_view key) const;
    bool has(std::string_view key) const;

    // Environment variable that overrides a key: "db.dsn" -> "SARANG_DB_DSN".
    static std::string env_name(std::string_view key);

  private:
    std::string origin_;
    std::map<std::string, std::string, std::less<>> values_;
};

} // namespace sarang
