#pragma once
// What handlers share: the database pool, the auth settings and the WhatsApp gateway. Built
// once in main().
#include "db_pool.hpp"
#include "notify/gowa_client.hpp"
#include "sarang/auth_settings.hpp"

#include <string>

namespace sarang::http {

struct Services {
    DbPool& db;
    std::string pepper; // auth.pepper: keys session and device credential hashes
    AuthSettings auth;
    GowaClient gowa{GowaSettings{}};
};

} // namespace sarang::http
