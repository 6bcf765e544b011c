// sarangctl: the admin CLI. sarangctl [--config PATH] <area> [<verb>] [options]
#include "command.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unistd.h>

using namespace sarang;

namespace {

struct Command {
    const char* area;
    const char* verb; // nullptr: the area alone is the command
    const char* usage;
    bool takes_device_id; // a positional device id
    std::vector<std::string> boolean_flags;
    std::function<int(const Config&, const ctl::Args&)> run;
};

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"migrate",
         nullptr,
         "migrate [--dir DIR]   apply pending sql/ migrations",
         false,
         {},
         ctl::migrate},
        {"devices",
         "create",
         "devices create --kind KIND --name NAME [--id ID] [--prefix TOPIC/PREFIX]\n"
         "               [--owner USERNAME] [--json]\n"
         "                        register a device and print its MQTT credential once\n"
         "devices create --kind KIND --name 'pi-{n}' --from 1 --to 99 --csv FILE [--rotate]\n"
         "               [--owner USERNAME]\n"
         "                        register a numbered fleet with a progress bar; devices that\n"
         "                        exist are skipped (re-keyed with --rotate); new credentials\n"
         "                        are appended to FILE (mode 0600) and shown nowhere else",
         false,
         {"json", "rotate"},
         ctl::devices_create},
        {"devices",
         "bulk-create",
         "devices bulk-create --kind KIND --name-prefix pi- --from 1 --to 99 --csv FILE\n"
         "                        register a numbered fleet at once; credentials go to a new\n"
         "                        CSV file (mode 0600) and nowhere else",
         false,
         {},
         ctl::devices_bulk_create},
        {"devices",
         "list",
         "devices list          list devices with state and presence",
         false,
         {},
         ctl::devices_list},
        {"devices",
         "rotate",
         "devices rotate ID [--grace-seconds N] [--json]\n"
         "                        issue a new credential; the old one works N more seconds\n"
         "                        (default access.rotation_grace_s)",
         true,
         {"json"},
         ctl::devices_rotate},
        {"devices",
         "revoke",
         "devices revoke ID     revoke a device; its sessions end at once",
         true,
         {},
         ctl::devices_revoke},
        // Device certificates (mutual TLS; device_certs.cpp).
        {"devices",
         "cert",
         "devices cert ID (--csr FILE [--out FILE] | --generate --out-dir DIR) [--days N]\n"
         "                        [--dir TLSDIR]  sign a device's CSR with the device CA (CN = "
         "ID)\n"
         "                        and print the certificate; --generate also makes the key here",
         true,
         {"generate"},
         ctl::devices_cert},
        {"devices",
         "cert-revoke",
         "devices cert-revoke ID [--fingerprint SHA256]\n"
         "                        revoke a device's certificates (or one); its mTLS sessions end",
         true,
         {},
         ctl::devices_cert_revoke},
        {"tls",
         "device-ca",
         "tls device-ca init [--dir TLSDIR] [--days N] [--force]\n"
         "                        make the device CA (TLSDIR/device-ca.crt, device-ca.key)",
         false,
         {"force"},
         ctl::tls_device_ca_init},
        {"factory-secret",
         "create",
         "factory-secret create [--label TEXT] [--json]\n"
         "                        a secret for firmware that lets fresh devices register\n"
         "                        themselves; printed once",
         false,
         {"json"},
         ctl::factory_secret_create},
        {"factory-secret",
         "rotate",
         "factory-secret rotate [--label TEXT] [--grace-seconds N] [--json]\n"
         "                        a new secret; the older ones end N seconds from now\n"
         "                        (default 604800, one week)",
         false,
         {"json"},
         ctl::factory_secret_rotate},
        {"factory-secret",
         "list",
         "factory-secret list   list factory secrets (ids, labels, ends; never the secrets)",
         false,
         {},
         ctl::factory_secret_list},
        {"factory-secret",
         "revoke",
         "factory-secret revoke ID\n"
         "                        end a factory secret now",
         false,
         {},
         ctl::factory_secret_revoke},
        {"integrations",
         "create",
         "integrations create NAME --read FILTER [--read FILTER ...] [--json]\n"
         "                        a read-only MQTT identity (Telegraf, Node-RED, ...) that may\n"
         "                        subscribe within the filters; prints its credential once",
         false,
         {"json"},
         ctl::integrations_create},
        {"integrations",
         "list",
         "integrations list     list integrations with their filters (never the credentials)",
         false,
         {},
         ctl::integrations_list},
        {"integrations",
         "rotate",
         "integrations rotate NAME [--json]\n"
         "                        a new credential; the old one and its sessions end at once",
         false,
         {"json"},
         ctl::integrations_rotate},
        {"integrations",
         "revoke",
         "integrations revoke NAME\n"
         "                        end an integration; its sessions are disconnected",
         false,
         {},
         ctl::integrations_revoke},
        {"users",
         "create",
         "users create NAME [--role admin|user]\n"
         "                        add an account; prints a one-time password once",
         false,
         {},
         ctl::users_create},
        {"users",
         "reset-password",
         "users reset-password NAME\n"
         "                        new one-time password, every session of the account ended",
         false,
         {},
         ctl::users_reset_password},
        {"users",
         "ensure-admin",
         "users ensure-admin    create the admin (one-time password printed) if there is none",
         false,
         {},
         ctl::users_ensure_admin},
        {"payments",
         "set-key",
         "payments set-key [--file PATH]\n"
         "                        the Midtrans server key, read from PATH or stdin (never argv),\n"
         "                        into this sarang.conf; sarang-httpd uses it without a restart",
         false,
         {},
         ctl::payments_set_key},
        {"backup",
         nullptr,
         "backup DIR [--with-secrets]\n"
         "                        the database (pg_dump), package photos and a manifest with\n"
         "                        checksums into the new folder DIR; --with-secrets adds\n"
         "                        sarang.conf with the pepper and keys in DIR/secrets/",
         false,
         {"with-secrets"},
         ctl::backup},
        {"restore",
         nullptr,
         "restore DIR [--force] [--with-secrets]\n"
         "                        check DIR against its manifest, then replace the database and\n"
         "                        photos with it (--force: over a database with devices);\n"
         "                        --with-secrets also installs its sarang.conf",
         false,
         {"force", "with-secrets"},
         ctl::restore},
        {"retention",
         "status",
         "retention status [--json]\n"
         "                        partitions of each partitioned table (range, rows, size),\n"
         "                        what is dropped next and when; rows due for the row-deleted\n"
         "                        kinds (notifications, commands, package photos)",
         false,
         {"json"},
         ctl::retention_status},
        {"retention",
         "run",
         "retention run         one maintenance round now: pg_partman's (partitions made ahead,\n"
         "                        old ones dropped), then the row deletes",
         false,
         {},
         ctl::retention_run},
        {"tls",
         "init",
         "tls init [--dir DIR] [--hostname NAME]... [--ip ADDRESS]... [--days N] [--force]\n"
         "                        a private CA and a server certificate for the MQTT TLS\n"
         "                        listener and HTTPS (DIR/ca.crt ca.key server.crt server.key;\n"
         "                        DIR defaults to the folder of http.tls_cert_file, then\n"
         "                        /etc/sarang/tls); never overwrites without --force",
         false,
         {"force"},
         ctl::tls_init},
        {"tls",
         "install",
         "tls install --cert FILE --key FILE [--chain FILE] [--dir DIR]\n"
         "                        take a certificate from elsewhere (an ACME client): checks\n"
         "                        the key and the dates, replaces http.tls_cert_file and\n"
         "                        http.tls_key_file (with --dir: DIR/server.crt, server.key)",
         false,
         {},
         ctl::tls_install},
    };
    return table;
}

int usage(FILE* out) {
    std::fprintf(out, "usage: sarangctl [--config PATH] <command>\n\n"
                      "PATH defaults to $SARANG_CONFIG, then ./sarang.conf.\n\ncommands:\n");
    for (const Command& command : commands())
        std::fprintf(out, "  %s\n", command.usage);
    return out == stdout ? 0 : 2;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    std::string config_path =
        std::getenv("SARANG_CONFIG") ? std::getenv("SARANG_CONFIG") : "sarang.conf";
    if (words.size() >= 2 && words[0] == "--config") {
        config_path = words[1];
        words.erase(words.begin(), words.begin() + 2);
    }
    if (words.empty())
        return usage(stderr);
    if (words[0] == "--help" || words[0] == "-h" || words[0] == "help")
        return usage(stdout);

    for (const Command& command : commands()) {
        if (words[0] != command.area)
            continue;
        std::size_t consumed = 1;
        if (command.verb != nullptr) {
            if (words.size() < 2 || words[1] != command.verb)
                continue;
            consumed = 2;
        }
        try {
            ctl::Args args = ctl::parse_args({words.begin() + consumed, words.end()},
                                             command.boolean_flags, {"read", "hostname", "ip"});
            args.config_path = config_path;
            // Certificates come before the first sarang.conf on a new install.
            bool config_optional = std::strcmp(command.area, "tls") == 0;
            Config config =
                config_optional && access(config_path.c_str(), F_OK) != 0
                    ? Config::parse("", "(no sarang.conf)",
                                    [](const char*) { return static_cast<const char*>(nullptr); })
                    : Config::load_file(config_path);
            log::set_level(config.string("log.level"));
            return command.run(config, args);
        } catch (const ctl::UsageError& error) {
            std::fprintf(stderr, "sarangctl: %s\nusage: sarangctl %s\n", error.what(),
                         command.usage);
            return 2;
        } catch (const std::exception& error) {
            std::fprintf(stderr, "sarangctl: %s\n", error.what());
            return 1;
        }
    }
    std::fprintf(stderr, "sarangctl: unknown command '%s'\n", words[0].c_str());
    return usage(stderr);
}
