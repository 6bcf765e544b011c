// sarangctl devices create|bulk-create|list|rotate|revoke
#include "command.hpp"
#include "sarang/access_sync.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace sarang::ctl {
namespace {

std::string known_kinds() {
    std::string names;
    for (const KindSpec& kind : all_kinds())
        names += (names.empty() ? "" : ", ") + std::string(kind.name);
    return names;
}

} // namespace

bool brokers_have_it(pg::Connection& db) {
    access_sync::Outcome outcome = access_sync::await_access_applied(db);
    if (outcome.applied)
        return true;
    std::fprintf(stderr,
                 "sarangctl: the change is stored, but broker node(s) %s did not apply it within "
                 "%lld ms; connections there are refused until they do (exit status %d)\n",
                 access_sync::describe_lagging(outcome).c_str(),
                 static_cast<long long>(access_sync::default_timeout.count()), brokers_lag_status);
    return false;
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
    std::printf("device %s (kind %s, topic prefix %s)\n"
                "  MQTT username:  %s\n"
                "  MQTT client id: %s\n"
                "  MQTT password:  %s\n"
                "Put the password on the device now: Sarang stores only a hash of it and cannot "
                "show it again.\n",
                id.c_str(), kind.c_str(), prefix.c_str(), id.c_str(), id.c_str(), token.c_str());
}

int devices_create(const Config& config, const Args& args) {
    if (args.get("from") || args.get("to"))
        return devices_create_range(config, args); // seed 003's fleet (devices_range.cpp)
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
    std::optional<std::string> owner_id;
    if (std::optional<std::string> owner = args.get("owner")) {
        pg::Result found = db.exec("SELECT id FROM users WHERE username = $1", {*owner});
        if (found.rows() != 1)
            throw UsageError("no user named '" + *owner + "'");
        owner_id = std::string(found.text(0, 0));
    }
    try {
        db.exec(
            "INSERT INTO devices (id, name, kind, topic_prefix, credential_hash, owner_id)"
            " VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6)",
            {id, name, kind_name, prefix, crypto::hex_encode(credential.stored_hash), owner_id});
    } catch (const pg::Error& error) {
        if (error.sqlstate() == "23505") {
            std::fprintf(stderr,
                         "sarangctl: device id '%s' or topic prefix '%s' is taken, or the prefix "
                         "nests with another device's\n",
                         id.c_str(), prefix.c_str());
            return 1;
        }
        throw;
    }
    LOG_INFO("audit", "sarangctl | devices.create | id=%s kind=%s prefix=%s | credential=****",
             id.c_str(), kind_name.c_str(), prefix.c_str());
    bool live = brokers_have_it(db);
    print_credential(id, name, kind_name, prefix, credential.token, args.flag("json"));
    return live ? 0 : brokers_lag_status;
}

int devices_list(const Config& config, const Args&) {
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows = db.exec("SELECT id, kind, state, topic_prefix,"
                              " CASE WHEN online THEN 'yes (' || online_node || ')' ELSE 'no' END,"
                              " coalesce(to_char(last_seen_at AT TIME ZONE 'UTC',"
                              " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
                              " FROM devices ORDER BY id");
    std::printf("%-24s %-13s %-15s %-28s %-16s %s\n", "ID", "KIND", "STATE", "TOPIC PREFIX",
                "ONLINE", "LAST SEEN");
    for (int row = 0; row < rows.rows(); ++row)
        std::printf("%-24s %-13s %-15s %-28s %-16s %s\n", std::string(rows.text(row, 0)).c_str(),
                    std::string(rows.text(row, 1)).c_str(), std::string(rows.text(row, 2)).c_str(),
                    std::string(rows.text(row, 3)).c_str(), std::string(rows.text(row, 4)).c_str(),
                    std::string(rows.text(row, 5)).c_str());
    return 0;
}

} // namespace sarang::ctl

namespace sarang::ctl {

int devices_rotate(const Config& config, const Args& args) {
    std::string id = args.device_id();
    long grace = config.integer("access.rotation_grace_s");
    if (std::optional<std::string> given = args.get("grace-seconds")) {
        char* end = nullptr;
        grace = std::strtol(given->c_str(), &end, 10);
        if (given->empty() || *end != '\0' || grace < 0 || grace > 90L * 86400)
            throw UsageError("--grace-seconds must be a whole number from 0 to 7776000");
    }
    IssuedCredential credential = issue_credential(pepper_from_config(config));
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    // With a grace the current credential becomes the previous one until it expires; without,
    // it stops working at once.
    pg::Result rows =
        db.exec("UPDATE devices SET"
                " previous_credential_hash = CASE WHEN $3::bigint > 0 THEN credential_hash END,"
                " previous_credential_expires_at ="
                "   CASE WHEN $3::bigint > 0 THEN now() + make_interval(secs => $3::bigint) END,"
                " credential_hash = decode($2, 'hex')"
                " WHERE id = $1 AND state <> 'revoked'"
                " RETURNING name, kind, topic_prefix,"
                "   coalesce(to_char(previous_credential_expires_at AT TIME ZONE 'UTC',"
                "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')",
                {id, crypto::hex_encode(credential.stored_hash), std::to_string(grace)});
    if (rows.rows() == 0) {
        std::fprintf(stderr, "sarangctl: no device '%s' that is not revoked\n", id.c_str());
        return 1;
    }
    LOG_INFO("audit", "sarangctl | devices.rotate | id=%s grace_s=%ld | credential=****",
             id.c_str(), grace);
    bool live = brokers_have_it(db);
    print_credential(id, std::string(rows.text(0, 0)), std::string(rows.text(0, 1)),
                     std::string(rows.text(0, 2)), credential.token, args.flag("json"));
    if (!args.flag("json")) {
        if (grace > 0)
            std::printf("The previous credential keeps working until %s.\n",
                        std::string(rows.text(0, 3)).c_str());
        else
            std::printf("The previous credential stopped working now.\n");
    }
    return live ? 0 : brokers_lag_status;
}

int devices_revoke(const Config& config, const Args& args) {
    std::string id = args.device_id();
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows =
        db.exec("UPDATE devices SET state = 'revoked', previous_credential_hash = NULL,"
                " previous_credential_expires_at = NULL WHERE id = $1",
                {id});
    if (rows.affected() == 0) {
        std::fprintf(stderr, "sarangctl: no device '%s'\n", id.c_str());
        return 1;
    }
    LOG_INFO("audit", "sarangctl | devices.revoke | id=%s", id.c_str());
    std::printf("device %s revoked; its sessions are disconnected\n", id.c_str());
    return 0;
}

} // namespace sarang::ctl

namespace sarang::ctl {

// Seed 003's fleet registration: pi-1 ... pi-99 in one command, credentials into a CSV that is
// created fresh (never overwritten) and readable by its owner only. All devices or none.
int devices_bulk_create(const Config& config, const Args& args) {
    std::string kind_name = args.require("kind");
    std::string stem = args.require("name-prefix");
    std::string csv_path = args.require("csv");
    long from = args.whole_number("from");
    long to = args.whole_number("to");
    if (to < from || to - from >= 1000000)
        throw UsageError("--from .. --to must name 1 to 1,000,000 devices");
    const KindSpec* kind = find_kind(kind_name);
    if (kind == nullptr)
        throw UsageError("unknown kind '" + kind_name + "'; known kinds: " + known_kinds());

    std::string pepper = pepper_from_config(config);
    std::vector<std::string> ids, names, kinds, prefixes, hashes, tokens;
    for (long n = from; n <= to; ++n) {
        std::string id = stem + std::to_string(n);
        if (!valid_device_id(id))
            throw UsageError("device id '" + id + "' must be 1-64 of A-Z a-z 0-9 _ -");
        IssuedCredential credential = issue_credential(pepper);
        ids.push_back(id);
        names.push_back(id);
        kinds.push_back(kind_name);
        prefixes.push_back(default_topic_prefix(*kind, id));
        hashes.push_back("\\x" + crypto::hex_encode(credential.stored_hash));
        tokens.push_back(std::move(credential.token));
    }
    // O_EXCL: an existing file (perhaps an earlier batch's only copy of its credentials) is
    // never overwritten.
    int fd = ::open(csv_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        std::fprintf(stderr, "sarangctl: cannot create %s: %s\n", csv_path.c_str(),
                     std::strerror(errno));
        return 1;
    }
    FILE* csv = fdopen(fd, "w");
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    try {
        pg::Transaction transaction(db);
        transaction.exec("INSERT INTO devices (id, name, kind, topic_prefix, credential_hash)"
                         " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                         " $5::bytea[])",
                         {pg::array_literal(ids), pg::array_literal(names),
                          pg::array_literal(kinds), pg::array_literal(prefixes),
                          pg::array_literal(hashes)});
        std::fprintf(csv, "device_id,mqtt_username,mqtt_client_id,mqtt_password,topic_prefix\n");
        for (size_t i = 0; i < ids.size(); ++i)
            std::fprintf(csv, "%s,%s,%s,%s,%s\n", ids[i].c_str(), ids[i].c_str(), ids[i].c_str(),
                         tokens[i].c_str(), prefixes[i].c_str());
        if (std::fflush(csv) != 0 || fsync(fd) != 0)
            throw std::runtime_error(std::string("writing ") + csv_path + ": " +
                                     std::strerror(errno));
        transaction.commit();
    } catch (const std::exception& error) {
        std::fclose(csv);
        ::unlink(csv_path.c_str());
        if (const auto* pg_error = dynamic_cast<const pg::Error*>(&error);
            pg_error && pg_error->sqlstate() == "23505") {
            std::fprintf(stderr,
                         "sarangctl: nothing registered: an id or topic prefix in %s%ld..%s%ld "
                         "is taken or nests with another device's\n",
                         stem.c_str(), from, stem.c_str(), to);
            return 1;
        }
        throw;
    }
    std::fclose(csv);
    LOG_INFO("audit", "sarangctl | devices.bulk-create | %s%ld..%s%ld kind=%s | credentials=%s",
             stem.c_str(), from, stem.c_str(), to, kind_name.c_str(), csv_path.c_str());
    bool live = brokers_have_it(db);
    std::printf("registered %zu devices; their credentials are in %s (shown nowhere else)\n",
                ids.size(), csv_path.c_str());
    return live ? 0 : brokers_lag_status;
}

} // namespace sarang::ctl
