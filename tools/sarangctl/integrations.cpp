// sarangctl integrations create|list|rotate|revoke: read-only MQTT identities for Telegraf,
// Node-RED, a data lake (docs/integrations.md). The credential is shown once and stored as
// HMAC-SHA256(auth.pepper, token), like a device's; the broker picks up every change through
// NOTIFY and disconnects a revoked or rotated integration's sessions within a second.
#include "command.hpp"
#include "sarang/credentials.hpp"
#include "sarang/json.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"
#include "sarang/topic_rules.hpp"

#include <cstdio>

namespace sarang::ctl {
namespace {

bool valid_integration_name(const std::string& name) {
    if (name.empty() || name.size() > 64)
        return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::string name_from(const Args& args) {
    if (args.positional.size() != 1)
        throw UsageError("give the integration's name once");
    const std::string& name = args.positional.front();
    if (!valid_integration_name(name))
        throw UsageError("integration name '" + name + "' must be 1-64 of A-Z a-z 0-9 _ -");
    return name;
}

std::vector<std::string> filters_from(const Args& args) {
    auto given = args.repeated.find("read");
    if (given == args.repeated.end() || given->second.empty())
        throw UsageError("give at least one --read FILTER (e.g. --read 'hydro/+/reading')");
    if (given->second.size() > 32)
        throw UsageError("at most 32 --read filters");
    for (const std::string& filter : given->second) {
        if (!valid_topic_filter(filter))
            throw UsageError("'" + filter +
                             "' is not an MQTT topic filter (+ and # only as whole levels, # "
                             "last, at most 256 bytes)");
        if (filter.starts_with('$'))
            throw UsageError("'" + filter +
                             "': a filter may not start with $ ($ topics are never readable; a "
                             "client adds $share/<group>/ itself when it subscribes)");
    }
    return given->second;
}

void print_integration(const std::string& name, const std::vector<std::string>& filters,
                       const std::string& token, bool as_json) {
    std::string username = "integration:" + name;
    if (as_json) {
        json::Ptr out = json::own(json_object());
        json::Ptr read = json::own(json_array());
        for (const std::string& filter : filters)
            json::append(read.get(), json::own(json_string(filter.c_str())));
        json::set(out.get(), "name", json::own(json_string(name.c_str())));
        json::set(out.get(), "username", json::own(json_string(username.c_str())));
        json::set(out.get(), "client_id", json::own(json_string(username.c_str())));
        json::set(out.get(), "password", json::own(json_string(token.c_str())));
        json::set(out.get(), "read", std::move(read));
        std::printf("%s\n", json::dump(out.get()).c_str());
        return;
    }
    std::string joined;
    for (const std::string& filter : filters)
        joined += (joined.empty() ? "" : " ") + filter;
    std::printf("integration %s (reads %s)\n"
                "  MQTT username:  %s\n"
                "  MQTT client id: %s (or %s:<suffix> per instance, or none)\n"
                "  MQTT password:  %s\n"
                "Store the password now: Sarang keeps only a hash of it and cannot show it "
                "again.\n",
                name.c_str(), joined.c_str(), username.c_str(), username.c_str(), username.c_str(),
                token.c_str());
}

} // namespace

int integrations_create(const Config& config, const Args& args) {
    std::string name = name_from(args);
    std::vector<std::string> filters = filters_from(args);
    IssuedCredential credential = issue_credential(pepper_from_config(config));
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    // A revoked integration's name may be taken again; a live one's may not.
    pg::Result rows =
        db.exec("INSERT INTO integrations (name, credential_hash, read_filters)"
                " VALUES ($1, decode($2, 'hex'), $3::text[])"
                " ON CONFLICT (name) DO UPDATE SET credential_hash = EXCLUDED.credential_hash,"
                "   read_filters = EXCLUDED.read_filters, created_at = now(), rotated_at = NULL,"
                "   revoked_at = NULL"
                " WHERE integrations.revoked_at IS NOT NULL RETURNING name",
                {name, crypto::hex_encode(credential.stored_hash), pg::array_literal(filters)});
    if (rows.rows() == 0) {
        std::fprintf(stderr, "sarangctl: integration '%s' exists; rotate or revoke it instead\n",
                     name.c_str());
        return 1;
    }
    LOG_INFO("audit", "sarangctl | integrations.create | name=%s filters=%zu | credential=****",
             name.c_str(), filters.size());
    bool live = brokers_have_it(db); // read-your-writes, as for devices
    print_integration(name, filters, credential.token, args.flag("json"));
    return live ? 0 : brokers_lag_status;
}

int integrations_list(const Config& config, const Args&) {
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows =
        db.exec("SELECT name, CASE WHEN revoked_at IS NULL THEN 'live' ELSE 'revoked' END,"
                " to_char(coalesce(rotated_at, created_at) AT TIME ZONE 'UTC',"
                " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), array_to_string(read_filters, ' ')"
                " FROM integrations ORDER BY name");
    std::printf("%-24s %-8s %-21s %s\n", "NAME", "STATE", "CREDENTIAL SINCE", "READS");
    for (int row = 0; row < rows.rows(); ++row)
        std::printf("%-24s %-8s %-21s %s\n", std::string(rows.text(row, 0)).c_str(),
                    std::string(rows.text(row, 1)).c_str(), std::string(rows.text(row, 2)).c_str(),
                    std::string(rows.text(row, 3)).c_str());
    return 0;
}

int integrations_rotate(const Config& config, const Args& args) {
    std::string name = name_from(args);
    IssuedCredential credential = issue_credential(pepper_from_config(config));
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    // No grace: an integration is reconfigured by its operator, not fielded hardware.
    pg::Result rows = db.exec("UPDATE integrations SET credential_hash = decode($2, 'hex'),"
                              " rotated_at = now() WHERE name = $1 AND revoked_at IS NULL"
                              " RETURNING array_to_string(read_filters, chr(10))",
                              {name, crypto::hex_encode(credential.stored_hash)});
    if (rows.rows() == 0) {
        std::fprintf(stderr, "sarangctl: no live integration '%s'\n", name.c_str());
        return 1;
    }
    std::vector<std::string> filters;
    std::string_view all = rows.text(0, 0);
    while (!all.empty()) {
        std::size_t end = all.find('\n');
        filters.emplace_back(all.substr(0, end));
        all = end == std::string_view::npos ? std::string_view{} : all.substr(end + 1);
    }
    LOG_INFO("audit", "sarangctl | integrations.rotate | name=%s | credential=****", name.c_str());
    bool live = brokers_have_it(db);
    print_integration(name, filters, credential.token, args.flag("json"));
    if (!args.flag("json"))
        std::printf("The previous credential stopped working now; its sessions are "
                    "disconnected.\n");
    return live ? 0 : brokers_lag_status;
}

int integrations_revoke(const Config& config, const Args& args) {
    std::string name = name_from(args);
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows = db.exec("UPDATE integrations SET revoked_at = now()"
                              " WHERE name = $1 AND revoked_at IS NULL",
                              {name});
    if (rows.affected() == 0) {
        std::fprintf(stderr, "sarangctl: no live integration '%s'\n", name.c_str());
        return 1;
    }
    LOG_INFO("audit", "sarangctl | integrations.revoke | name=%s", name.c_str());
    std::printf("integration %s revoked; its sessions are disconnected\n", name.c_str());
    return 0;
}

} // namespace sarang::ctl
