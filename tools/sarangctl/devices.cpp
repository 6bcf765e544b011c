// sarangctl devices create|list
#include "command.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <cstdio>

namespace sarang::ctl {
namespace {

std::string known_kinds() {
    std::string names;
    for (const KindSpec& kind : all_kinds())
        names += (names.empty() ? "" : ", ") + std::string(kind.name);
    return names;
}

void print_credential(const std::string& id, const std::string& name, const std::string& kind,
                      const std::string& prefix, const std::string& token, bool as_json) {
    if (as_json) {
        json::Ptr out = json::own(json_object());
        json::set(out.get(), "id", json::own(json_string(id.c_str())));
        json::set(out.get(), "name", json::own(json_string(name.c_str())));
        json::set(out.get(), "kind", json::own(json_string(kind.c_str())));
        json::set(out.get(), "topic_prefix", json::own(json_string(prefix.c_str())));
        json::set(out.get(), "username", json::own(json_string(id.c_str())));
        json::set(out.get(), "client_id", json::own(json_string(id.c_str())));
        json::set(out.get(), "password", json::own(json_string(token.c_str())));
        std::printf("%s\n", json::dump(out.get()).c_str());
        return;
    }
    std::printf("device %s created (kind %s, topic prefix %s)\n"
                "  MQTT username:  %s\n"
                "  MQTT client id: %s\n"
                "  MQTT password:  %s\n"
                "Put the password on the device now: Sarang stores only a hash of it and cannot "
                "show it again.\n",
                id.c_str(), kind.c_str(), prefix.c_str(), id.c_str(), id.c_str(), token.c_str());
}

} // namespace

int devices_create(const Config& config, const Args& args) {
    std::string kind_name = args.require("kind");
    std::string name = args.require("name");
    std::string id = args.get("id").value_or(name);
    const KindSpec* kind = find_kind(kind_name);
    if (kind == nullptr)
        throw UsageError("unknown kind '" + kind_name + "'; known kinds: " + known_kinds());
    if (!valid_device_id(id))
        throw UsageError("device id '" + id +
                         "' must be 1-64 characters of A-Z a-z 0-9 _ - "
                         "(give --id when the name has others)");
    if (name.empty() || name.size() > 100)
        throw UsageError("--name must be 1-100 characters");
    std::string prefix = args.get("prefix").value_or(default_topic_prefix(*kind, id));
    if (!valid_topic_prefix(prefix))
        throw UsageError("topic prefix '" + prefix + "' must be 1-8 levels of A-Z a-z 0-9 _ . -");

    std::string pepper = pepper_from_config(config);
    IssuedCredential credential = issue_credential(pepper);
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    try {
        db.exec("INSERT INTO devices (id, name, kind, topic_prefix, credential_hash)"
                " VALUES ($1, $2, $3, $4, decode($5, 'hex'))",
                {id, name, kind_name, prefix, crypto::hex_encode(credential.stored_hash)});
    } catch (const pg::Error& error) {
        if (error.sqlstate() == "23505") {
            std::fprintf(stderr, "sarangctl: a device with id '%s' or topic prefix '%s' exists\n",
                         id.c_str(), prefix.c_str());
            return 1;
        }
        throw;
    }
    LOG_INFO("audit", "sarangctl | devices.create | id=%s kind=%s prefix=%s | credential=****",
             id.c_str(), kind_name.c_str(), prefix.c_str());
    print_credential(id, name, kind_name, prefix, credential.token, args.flag("json"));
    return 0;
}

int devices_list(const Config& config, const Args&) {
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows = db.exec("SELECT id, kind, state, topic_prefix, online,"
                              " coalesce(to_char(last_seen_at AT TIME ZONE 'UTC',"
                              " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
                              " FROM devices ORDER BY id");
    std::printf("%-24s %-14s %-14s %-28s %-7s %s\n", "ID", "KIND", "STATE", "TOPIC PREFIX",
                "ONLINE", "LAST SEEN");
    for (int row = 0; row < rows.rows(); ++row)
        std::printf("%-24s %-14s %-14s %-28s %-7s %s\n", std::string(rows.text(row, 0)).c_str(),
                    std::string(rows.text(row, 1)).c_str(), std::string(rows.text(row, 2)).c_str(),
                    std::string(rows.text(row, 3)).c_str(), rows.boolean(row, 4) ? "yes" : "no",
                    std::string(rows.text(row, 5)).c_str());
    return 0;
}

} // namespace sarang::ctl
