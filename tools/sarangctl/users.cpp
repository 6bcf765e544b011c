// sarangctl users create|reset-password|ensure-admin. A new or reset account gets a one-time
// password, printed once, with requirePasswordChange: the person sets their own password (and
// app PIN) through POST /api/auth/first-setup.
#include "command.hpp"
#include "sarang/auth_settings.hpp"
#include "sarang/crypto.hpp"
#include "sarang/pg.hpp"
#include "sarang/secret_policy.hpp"

#include <cstdio>

namespace sarang::ctl {
namespace {

void print_one_time_password(const std::string& username, const std::string& password) {
    std::printf("user %s\n"
                "  one-time password: %s\n"
                "Sign in with it (POST /api/auth/login); the first-time setup then asks for a new "
                "password and PIN. It is not stored anywhere and will not be shown again.\n",
                username.c_str(), password.c_str());
}

std::string username_from(const Args& args) {
    std::string username = args.positional.size() == 1 ? args.positional[0] : args.require("name");
    if (!valid_username(username))
        throw UsageError("username '" + username +
                         "' must be 3-64 characters of A-Z a-z 0-9 _ . @ -");
    return username;
}

// Returns whether a row was inserted (false: the username exists).
bool insert_user(const Config& config, pg::Connection& db, const std::string& username,
                 const std::string& role, const std::string& password) {
    std::string hash = crypto::argon2id_hash(password, auth_settings_from_config(config).argon2);
    return db.exec("INSERT INTO users (username, password_hash, role, require_password_change,"
                   " is_first_login) VALUES ($1, $2, $3, true, true)"
                   " ON CONFLICT DO NOTHING", // also a case variant of an existing name
                   {username, hash, role})
               .affected() == 1;
}

} // namespace

int users_create(const Config& config, const Args& args) {
    std::string username = username_from(args);
    std::string role = args.get("role").value_or("user");
    if (role != "admin" && role != "user")
        throw UsageError("--role must be admin or user");
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    std::string password = generate_one_time_password();
    if (!insert_user(config, db, username, role, password)) {
        std::fprintf(stderr, "sarangctl: user %s exists; use users reset-password\n",
                     username.c_str());
        return 1;
    }
    print_one_time_password(username, password);
    return 0;
}

int users_reset_password(const Config& config, const Args& args) {
    std::string username = username_from(args);
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    std::string password = generate_one_time_password();
    std::string hash = crypto::argon2id_hash(password, auth_settings_from_config(config).argon2);
    pg::Transaction transaction(db);
    pg::Result updated = transaction.exec(
        "UPDATE users SET password_hash = $2, require_password_change = true, updated_at = now()"
        " WHERE username = $1 RETURNING id",
        {username, hash});
    if (updated.rows() != 1) {
        std::fprintf(stderr, "sarangctl: no user %s\n", username.c_str());
        return 1;
    }
    // Whoever held the account's sessions is out, on the API and on MQTT alike.
    transaction.exec("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS "
                     "NULL",
                     {std::string(updated.text(0, 0))});
    transaction.exec("INSERT INTO audit_log (user_id, username, action, outcome)"
                     " VALUES ($1, $2, 'reset_password', 'success')",
                     {std::string(updated.text(0, 0)), username});
    transaction.commit();
    print_one_time_password(username, password);
    return 0;
}

int users_ensure_admin(const Config& config, const Args&) {
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    if (db.exec("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").rows() == 1)
        return 0; // quiet: tools/up runs this on every start
    std::string password = generate_one_time_password();
    if (!insert_user(config, db, "admin", "admin", password)) {
        std::fprintf(stderr, "sarangctl: a user named admin exists but is not an admin; create "
                             "one with users create NAME --role admin\n");
        return 1;
    }
    std::printf("First start: created the administrator.\n");
    print_one_time_password("admin", password);
    return 0;
}

} // namespace sarang::ctl
