#pragma once
// sarangctl <area> <verb> [--option value ...]: one table of commands (main.cpp), one file per
// area. Secrets are printed once and never taken from argv.
#include "sarang/config.hpp"
#include "sarang/pg.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sarang::ctl {

struct Args {
    std::map<std::string, std::string> options; // --name value
    std::vector<std::string> flags;             // --name without a value
    std::vector<std::string> positional;        // words without --
    // Every value of an option that may be given more than once (--read A --read B).
    std::map<std::string, std::vector<std::string>> repeated;
    std::string config_path; // the sarang.conf read (payments set-key writes it)
    bool flag(const std::string& name) const;
    std::optional<std::string> get(const std::string& name) const;
    std::string require(const std::string& name) const; // throws UsageError
    // --name as a whole number 0-10,000,000; throws UsageError.
    long whole_number(const std::string& name) const;
    // The device id: the one positional word, or --id.
    std::string device_id() const;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// argv after the verb. Names in `boolean_flags` take no value; names in `repeatable` may be
// given more than once and land in Args::repeated.
Args parse_args(const std::vector<std::string>& words,
                const std::vector<std::string>& boolean_flags,
                const std::vector<std::string>& repeatable = {});

int migrate(const Config& config, const Args& args);
int devices_create(const Config& config, const Args& args);
int devices_create_range(const Config& config, const Args& args);
int devices_list(const Config& config, const Args& args);
int devices_bulk_create(const Config& config, const Args& args);
int devices_rotate(const Config& config, const Args& args);
int devices_revoke(const Config& config, const Args& args);
int factory_secret_create(const Config& config, const Args& args);
int factory_secret_rotate(const Config& config, const Args& args);
int factory_secret_list(const Config& config, const Args& args);
int factory_secret_revoke(const Config& config, const Args& args);
int integrations_create(const Config& config, const Args& args);
int integrations_list(const Config& config, const Args& args);
int integrations_rotate(const Config& config, const Args& args);
int integrations_revoke(const Config& config, const Args& args);
int users_create(const Config& config, const Args& args);
int users_reset_password(const Config& config, const Args& args);
int users_ensure_admin(const Config& config, const Args& args);
int payments_set_key(const Config& config, const Args& args);
int backup(const Config& config, const Args& args);
// Retention (retention_status.cpp, retention_run.cpp; docs/operations.md "Retention").
int retention_status(const Config& config, const Args& args);
int retention_run(const Config& config, const Args& args);
int restore(const Config& config, const Args& args);
// The TLS folder: --dir, then the folder of http.tls_cert_file (so init and install write what
// the sidecar reads), then the packaged layout's /etc/sarang/tls.
std::string tls_dir(const Config& config, const Args& args);
int tls_init(const Config& config, const Args& args);
int tls_install(const Config& config, const Args& args);
// Device certificates (device_certs.cpp).
int tls_device_ca_init(const Config& config, const Args& args);
int devices_cert(const Config& config, const Args& args);
int devices_cert_revoke(const Config& config, const Args& args);

// Exit status of a command whose change is stored but not yet applied by every live broker node
// within access_sync::default_timeout (docs/identity-and-acl.md).
inline constexpr int brokers_lag_status = 3;
// Waits until every live broker node has applied what this connection committed; false (after
// an error on stderr) at the timeout. Call outside any transaction.
bool brokers_have_it(pg::Connection& db);

// Prints a device's MQTT credential (human text, or one JSON object with --json).
void print_credential(const std::string& id, const std::string& name, const std::string& kind,
                      const std::string& prefix, const std::string& token, bool as_json);

} // namespace sarang::ctl
