// sarangctl factory-secret create|rotate|list|revoke: the shared secret baked into firmware
// that lets a fresh device register itself (docs/provisioning.md). Shown once, stored as
// HMAC-SHA256(auth.pepper, secret).
#include "command.hpp"
#include "sarang/credentials.hpp"
#include "sarang/json.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <cstdio>
#include <cstdlib>

namespace sarang::ctl {
namespace {

void print_secret(long long id, const std::string& label, const std::string& secret, bool as_json) {
    if (as_json) {
        json::Ptr out = json::own(json_object());
        json::set(out.get(), "id", json::own(json_integer(id)));
        json::set(out.get(), "label", json::own(json_string(label.c_str())));
        json::set(out.get(), "factory_secret", json::own(json_string(secret.c_str())));
        std::printf("%s\n", json::dump(out.get()).c_str());
        return;
    }
    std::printf("factory secret %lld (%s): %s\n"
                "Build it into the firmware now: Sarang stores only a hash of it and cannot show "
                "it again.\n",
                id, label.c_str(), secret.c_str());
}

long grace_seconds(const Args& args) {
    std::string text = args.get("grace-seconds").value_or("604800");
    char* end = nullptr;
    long grace = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || grace < 0 || grace > 365L * 86400)
        throw UsageError("--grace-seconds must be a whole number from 0 to 31536000");
    return grace;
}

// Adds a secret; with `grace`, every other live secret ends that many seconds from now.
int add_secret(const Config& config, const Args& args, std::optional<long> grace) {
    std::string label = args.get("label").value_or("factory");
    if (label.empty() || label.size() > 100)
        throw UsageError("--label must be 1-100 characters");
    IssuedCredential secret = issue_credential(pepper_from_config(config));
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Transaction transaction(db);
    pg::Result row = db.exec("INSERT INTO factory_secrets (label, secret_hash)"
                             " VALUES ($1, decode($2, 'hex')) RETURNING id",
                             {label, crypto::hex_encode(secret.stored_hash)});
    long long id = row.integer(0, 0);
    long long ended = 0;
    if (grace)
        ended = db.exec("UPDATE factory_secrets SET not_after ="
                        " now() + make_interval(secs => $2::bigint)"
                        " WHERE id <> $1 AND (not_after IS NULL OR not_after > now() +"
                        " make_interval(secs => $2::bigint))",
                        {std::to_string(id), std::to_string(*grace)})
                    .affected();
    transaction.commit();
    LOG_INFO("audit", "sarangctl | factory-secret.%s | id=%lld label=%s | secret=****",
             grace ? "rotate" : "create", id, label.c_str());
    print_secret(id, label, secret.token, args.flag("json"));
    if (grace && !args.flag("json"))
        std::printf("%lld older secret(s) keep working for %ld more seconds.\n", ended, *grace);
    return 0;
}

} // namespace

int factory_secret_create(const Config& config, const Args& args) {
    return add_secret(config, args, std::nullopt);
}

int factory_secret_rotate(const Config& config, const Args& args) {
    return add_secret(config, args, grace_seconds(args));
}

int factory_secret_list(const Config& config, const Args&) {
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows = db.exec(
        "SELECT id, label, to_char(created_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " coalesce(to_char(not_after AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
        " CASE WHEN not_after IS NULL OR not_after > now() THEN 'live' ELSE 'ended' END"
        " FROM factory_secrets ORDER BY id");
    std::printf("%-6s %-24s %-22s %-22s %s\n", "ID", "LABEL", "CREATED", "ENDS", "STATE");
    for (int row = 0; row < rows.rows(); ++row)
        std::printf("%-6s %-24s %-22s %-22s %s\n", std::string(rows.text(row, 0)).c_str(),
                    std::string(rows.text(row, 1)).c_str(), std::string(rows.text(row, 2)).c_str(),
                    std::string(rows.text(row, 3)).c_str(), std::string(rows.text(row, 4)).c_str());
    return 0;
}

int factory_secret_revoke(const Config& config, const Args& args) {
    std::string id = args.positional.size() == 1 ? args.positional[0] : args.require("id");
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    if (db.exec("UPDATE factory_secrets SET not_after = now() WHERE id::text = $1"
                " AND (not_after IS NULL OR not_after > now())",
                {id})
            .affected() == 0) {
        std::fprintf(stderr, "sarangctl: no live factory secret %s\n", id.c_str());
        return 1;
    }
    LOG_INFO("audit", "sarangctl | factory-secret.revoke | id=%s", id.c_str());
    std::printf("factory secret %s ended; claimants using it are disconnected\n", id.c_str());
    return 0;
}

} // namespace sarang::ctl
